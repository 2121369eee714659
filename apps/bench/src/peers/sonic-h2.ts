// sonic's HTTPClient over HTTP/2 (`http2: true`): TLS with ALPN h2, every request of the workload
// on one multiplexed session, res.bytes(). The bench server's self-signed CA goes in `tls.ca`.
import type { HTTPClient } from '@sonic/client'
import type { PreparedWorkload } from '../workloads.js'
import { expectOk, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class SonicH2Peer implements Peer {
  #client: HTTPClient | null = null
  #opts: { method: 'GET' | 'POST'; tls: { ca: string } } | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { HTTPClient } = await import('@sonic/client')
    this.#client = new HTTPClient({ http2: true })
    this.#opts = { method: 'GET', tls: { ca: cfg.ca ?? '' } }
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#client!.request(w.url, { ...this.#opts!, method: w.method })
    if (res.status !== 200) {
      await res.release()
      expectOk(res.status, w.url)
    }
    if (res.httpVersion !== '2') {
      await res.release()
      throw new Error(`expected HTTP/2, got HTTP/${res.httpVersion}`)
    }
    return (await res.bytes()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#client?.close()
    this.#client = null
  }
}

export const sonicH2: PeerDefinition = {
  name: 'sonic-h2',
  label: 'sonic http2',
  description: "sonic's HTTPClient({ http2: true }).request() over TLS h2 with tls: { ca }, res.bytes() (h2 workloads)",
  protocols: ['h2'],
  create: () => new SonicH2Peer(),
}
