// node:http2 used directly: one http2.connect session, session.request() per request, the body
// collected from its 'data' events. The reference of the h2 workloads: what sonic builds on.
import type { ClientHttp2Session } from 'node:http2'
import type { PreparedWorkload } from '../workloads.js'
import { expectOk, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class NodeHttp2Peer implements Peer {
  #session: ClientHttp2Session | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const http2 = await import('node:http2')
    const session = http2.connect(cfg.origin, { ca: cfg.ca ?? '', settings: { enablePush: false } })
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no h2 session with ${cfg.origin} within 10 s`)), 10_000)
        session.once('connect', () => {
          clearTimeout(timer)
          resolve()
        })
        session.once('error', (err) => {
          clearTimeout(timer)
          reject(err)
        })
      })
    } catch (err) {
      session.destroy()
      throw err
    }
    session.on('error', () => undefined)
    this.#session = session
  }

  request(w: PreparedWorkload): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const stream = this.#session!.request({ ':method': w.method, ':path': w.path }, { endStream: true })
      const chunks: Buffer[] = []
      let status = 0
      stream.on('response', (headers) => {
        status = Number(headers[':status'])
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.once('end', () => {
        try {
          expectOk(status, w.url)
          resolve(Buffer.concat(chunks).byteLength)
        } catch (err) {
          reject(err as Error)
        }
      })
      stream.once('error', reject)
    })
  }

  async teardown(): Promise<void> {
    const s = this.#session
    this.#session = null
    if (s === null || s.closed) return
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}

export const nodeHttp2: PeerDefinition = {
  name: 'node-http2',
  label: 'node:http2',
  description: 'node:http2 directly: one http2.connect session, session.request() per request, body from data events (h2 reference)',
  protocols: ['h2'],
  create: () => new NodeHttp2Peer(),
}
