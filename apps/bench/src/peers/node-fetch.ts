// node-fetch 3 with the same keep-alive node:http Agent.
import type { Agent } from 'node:http'
import type fetchFn from 'node-fetch'
import type { PreparedWorkload } from '../workloads.js'
import { keepAliveAgent } from './node-http.js'
import { expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class NodeFetchPeer implements Peer {
  #agent: Agent | null = null
  #fetch: typeof fetchFn | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    this.#fetch = (await import('node-fetch')).default
    this.#agent = keepAliveAgent(cfg.connections)
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#fetch!(w.url, {
      method: w.method,
      body: w.json !== undefined ? JSON.stringify(w.json) : w.bodyBuffer,
      headers: headersOf(w),
      agent: this.#agent!,
    })
    expectOk(res.status, w.url)
    if (w.response === 'json') return res.json()
    return (await res.arrayBuffer()).byteLength
  }

  async teardown(): Promise<void> {
    this.#agent?.destroy()
    this.#agent = null
  }
}

export const nodeFetch: PeerDefinition = {
  name: 'node-fetch',
  label: 'node-fetch',
  description: 'node-fetch 3 with the keep-alive Agent, arrayBuffer() / json()',
  create: () => new NodeFetchPeer(),
}
