// got (16, or 14 on Node 20) with the same keep-alive node:http Agent; retries off so a failure shows, not hides.
import type { Got } from 'got14'
import { loadGot } from '../libs.js'
import type { Agent } from 'node:http'
import type { PreparedWorkload } from '../workloads.js'
import { keepAliveAgent } from './node-http.js'
import { expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class GotPeer implements Peer {
  #agent: Agent | null = null
  #client: Got | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { default: got } = await loadGot()
    this.#agent = keepAliveAgent(cfg.connections)
    this.#client = got.extend({ agent: { http: this.#agent }, retry: { limit: 0 } })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const client = this.#client!
    if (w.response === 'json') {
      const res = await client<unknown>(w.url, { method: w.method, json: w.json, responseType: 'json' })
      expectOk(res.statusCode, w.url)
      return res.body
    }
    const res = await client(w.url, { method: w.method, body: w.bodyBuffer, headers: headersOf(w), responseType: 'buffer' })
    expectOk(res.statusCode, w.url)
    return res.body.length
  }

  async teardown(): Promise<void> {
    this.#agent?.destroy()
    this.#agent = null
    this.#client = null
  }
}

export const gotPeer: PeerDefinition = {
  name: 'got',
  label: 'got',
  description: 'got() (16, or 14 on Node 20) with the keep-alive Agent, responseType buffer / json, retries off',
  create: () => new GotPeer(),
}
