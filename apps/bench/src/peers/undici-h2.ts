// undici's Client with allowH2: true: one TLS connection (ALPN h2) multiplexing every request of
// the workload, body.bytes(). The baseline of the h2 workloads.
import type { Client } from 'undici7'
import { loadUndici } from '../libs.js'
import type { PreparedWorkload } from '../workloads.js'
import { expectOk, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class UndiciH2Peer implements Peer {
  #client: Client | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const { Client } = await loadUndici()
    this.#client = new Client(cfg.origin, {
      allowH2: true,
      // Streams on the one session; the servers allow 128.
      pipelining: cfg.connections,
      maxConcurrentStreams: Math.max(cfg.connections, 100),
      connect: { ca: cfg.ca ?? '' },
    })
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await this.#client!.request({ path: w.path, method: w.method })
    if (res.statusCode !== 200) {
      await res.body.dump()
      expectOk(res.statusCode, w.url)
    }
    return (await res.body.bytes()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#client?.close()
    this.#client = null
  }
}

export const undiciH2: PeerDefinition = {
  name: 'undici-h2',
  label: 'undici Client allowH2',
  description: 'undici Client({ allowH2: true }).request() on one h2 session, body.bytes() (baseline of the h2 workloads)',
  protocols: ['h2'],
  create: () => new UndiciH2Peer(),
}
