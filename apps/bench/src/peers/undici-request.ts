// undici's Pool.request: the baseline every ratio is computed against (undici 8 on Node >= 22.19,
// 7.x on Node 20: see libs.ts).
import type { Pool } from 'undici7'
import { loadUndici } from '../libs.js'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class UndiciRequestPeer implements Peer {
  #pool: Pool | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { Pool } = await loadUndici()
    this.#pool = new Pool(cfg.origin, { connections: cfg.connections, pipelining: 1 })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#pool!.request({ path: w.path, method: w.method, body: bodyOf(w), headers: headersOf(w) })
    if (res.statusCode !== 200) {
      await res.body.dump()
      expectOk(res.statusCode, w.url)
    }
    if (w.response === 'json') return res.body.json()
    return (await res.body.bytes()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#pool?.close()
    this.#pool = null
  }
}

export const undiciRequest: PeerDefinition = {
  name: 'undici-request',
  label: 'undici Pool.request',
  description: 'undici Pool.request(), body.bytes() / body.json() (baseline = 1.0; undici 8, or 7.x on Node 20)',
  create: () => new UndiciRequestPeer(),
}
