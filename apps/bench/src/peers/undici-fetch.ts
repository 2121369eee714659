// undici's own fetch (the npm package, 7.16.0) with the Pool as dispatcher.
import { Pool, fetch } from 'undici'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class UndiciFetchPeer implements Peer {
  #pool: Pool | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    this.#pool = new Pool(cfg.origin, { connections: cfg.connections, pipelining: 1 })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await fetch(w.url, { method: w.method, body: bodyOf(w), headers: headersOf(w), dispatcher: this.#pool! })
    expectOk(res.status, w.url)
    if (w.response === 'json') return res.json()
    return (await res.arrayBuffer()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#pool?.close()
    this.#pool = null
  }
}

export const undiciFetch: PeerDefinition = {
  name: 'undici-fetch',
  label: 'undici fetch',
  description: "undici's fetch() (npm 7.16.0) with the Pool as dispatcher, arrayBuffer() / json()",
  create: () => new UndiciFetchPeer(),
}
