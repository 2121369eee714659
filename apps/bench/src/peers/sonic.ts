// sonic's HTTPClient.request: the product as users use it (normalisation, pools, redirect and
// cookie machinery, decompression checks), with res.bytes() / res.json(). On proxy workloads the
// client gets `proxy: <url>`: http:// targets go in absolute form on its pool of proxy connections.
import type { HTTPClient } from '@sonic/client'
import type { PreparedWorkload } from '../workloads.js'
import { expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class SonicPeer implements Peer {
  #client: HTTPClient | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { HTTPClient, TCPConnector } = await import('@sonic/client')
    const connector = new TCPConnector({ poolConfigs: { ':default': { size: cfg.connections } } })
    this.#client = new HTTPClient(cfg.proxy === undefined ? { connector } : { connector, proxy: cfg.proxy })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#client!.request(
      w.url,
      w.json !== undefined
        ? { method: w.method, json: w.json }
        : w.body !== undefined
          ? { method: w.method, data: w.body, headers: headersOf(w) }
          : w.headers !== undefined
            ? { method: w.method, headers: w.headers }
            : { method: w.method },
    )
    if (res.status !== 200) {
      await res.release()
      expectOk(res.status, w.url)
    }
    if (w.response === 'json') return res.json()
    return (await res.bytes()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#client?.close()
    this.#client = null
  }
}

export const sonic: PeerDefinition = {
  name: 'sonic',
  label: 'sonic',
  description: "sonic's HTTPClient.request(), res.bytes() / res.json() (with proxy: url on proxy workloads)",
  runs: 'both',
  create: () => new SonicPeer(),
}
