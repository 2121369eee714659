// axios (node http adapter) with the same keep-alive node:http Agent.
import type { AxiosInstance } from 'axios'
import type { Agent } from 'node:http'
import type { PreparedWorkload } from '../workloads.js'
import { keepAliveAgent } from './node-http.js'
import { expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class AxiosPeer implements Peer {
  #agent: Agent | null = null
  #client: AxiosInstance | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { default: axios } = await import('axios')
    this.#agent = keepAliveAgent(cfg.connections)
    this.#client = axios.create({ httpAgent: this.#agent, validateStatus: null })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const client = this.#client!
    if (w.response === 'json') {
      const res = await client.request({ url: w.url, method: w.method, data: w.json, responseType: 'json' })
      expectOk(res.status, w.url)
      return res.data
    }
    const res = await client.request<Buffer>({
      url: w.url,
      method: w.method,
      data: w.bodyBuffer,
      headers: headersOf(w),
      responseType: 'arraybuffer',
    })
    expectOk(res.status, w.url)
    return res.data.length
  }

  async teardown(): Promise<void> {
    this.#agent?.destroy()
    this.#agent = null
    this.#client = null
  }
}

export const axiosPeer: PeerDefinition = {
  name: 'axios',
  label: 'axios',
  description: 'axios.request() with the keep-alive Agent, responseType arraybuffer / json',
  create: () => new AxiosPeer(),
}
