// undici's own fetch (the npm package: 8, or 7.x on Node 20) with the Pool as dispatcher.
import type { Pool, fetch as undiciFetchFn } from 'undici7'
import { loadUndici } from '../libs.js'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class UndiciFetchPeer implements Peer {
  #pool: Pool | null = null
  #fetch: typeof undiciFetchFn | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { Pool, fetch } = await loadUndici()
    this.#pool = new Pool(cfg.origin, { connections: cfg.connections, pipelining: 1 })
    this.#fetch = fetch
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#fetch!(w.url, { method: w.method, body: bodyOf(w), headers: headersOf(w), dispatcher: this.#pool! })
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
  description: "undici's fetch() (npm: 8, or 7.x on Node 20) with the Pool as dispatcher, arrayBuffer() / json()",
  create: () => new UndiciFetchPeer(),
}
