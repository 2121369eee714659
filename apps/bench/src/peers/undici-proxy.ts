// undici's ProxyAgent: the baseline of the proxy workloads. `proxyTunnel: false` makes http://
// targets go in absolute form to the proxy, as sonic (and curl) send them; undici's default would
// CONNECT a tunnel even for plain http, which a forward proxy then cannot close per response.
// The proxy's pool gets as many connections as there are requests in flight.
import type { ProxyAgent, request as undiciRequestFn } from 'undici7'
import { loadUndici } from '../libs.js'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class UndiciProxyPeer implements Peer {
  #agent: ProxyAgent | null = null
  #request: typeof undiciRequestFn | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    if (cfg.proxy === undefined) throw new Error('undici-proxy needs a proxy')
    const { Pool, ProxyAgent, request } = await loadUndici()
    this.#request = request
    const connections = cfg.connections
    this.#agent = new ProxyAgent({
      uri: cfg.proxy,
      proxyTunnel: false,
      connections,
      factory: (origin, opts) => new Pool(origin, { ...opts, connections, pipelining: 1 }),
    })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#request!(w.url, { method: w.method, body: bodyOf(w), headers: headersOf(w), dispatcher: this.#agent! })
    if (res.statusCode !== 200) {
      await res.body.dump()
      expectOk(res.statusCode, w.url)
    }
    if (w.response === 'json') return res.body.json()
    return (await res.body.bytes()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#agent?.close()
    this.#agent = null
  }
}

export const undiciProxy: PeerDefinition = {
  name: 'undici-proxy',
  label: 'undici ProxyAgent',
  description: "undici request() with a ProxyAgent (proxyTunnel: false), body.bytes() (proxy workloads' baseline)",
  runs: 'proxy',
  create: () => new UndiciProxyPeer(),
}
