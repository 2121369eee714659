// sonic's lower layers composed by hand: a SmartPool of Http1Connections on sockets from one
// TcpTransport, requests given as core's HttpRequest (headers validated once per workload),
// bodies read with the reader's readAll(). The fair counterpart of undici's Pool.dispatch: no URL
// parsing, header merging or response object.
import type { SmartPool } from '@sonic/pool'
import type { Http1Connection } from '@sonic/http1'
import type { TcpTransport } from '@sonic/transport'
import { validatedHeaders, type HttpRequest } from '@sonic/core'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

type Reader = { readAll(): Promise<Uint8Array>; cancel(): Promise<void> }

class SonicHttp1Peer implements Peer {
  #pool: SmartPool<Http1Connection> | null = null
  #transport: TcpTransport | null = null
  #origin = ''
  #authority = ''
  #requests = new Map<PreparedWorkload, HttpRequest>()

  async setup(cfg: PeerConfig): Promise<void> {
    const [{ SmartPool }, { Http1Connection }, { TcpTransport }] = await Promise.all([import('@sonic/pool'), import('@sonic/http1'), import('@sonic/transport')])
    const url = new URL(cfg.origin)
    this.#origin = url.origin
    this.#authority = url.host
    const target = { protocol: 'http:', hostname: url.hostname, port: Number(url.port || 80) } as const
    const transport = new TcpTransport()
    this.#transport = transport
    this.#pool = new SmartPool<Http1Connection>(
      { size: cfg.connections, maxConnRequests: null },
      async (_origin, signal) => new Http1Connection((await transport.connect(target, signal)).socket),
    )
  }

  #requestFor(w: PreparedWorkload): HttpRequest {
    let req = this.#requests.get(w)
    if (req === undefined) {
      const body = bodyOf(w)
      req = {
        method: w.method,
        path: w.path,
        authority: this.#authority,
        scheme: 'http',
        headers: validatedHeaders(w.contentType ? ['content-type', w.contentType] : []),
        body: typeof body === 'string' ? Buffer.from(body) : (body ?? null),
        sockRead: 30000,
      }
      this.#requests.set(w, req)
    }
    return req
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const pool = this.#pool!
    const conn = await pool.acquire(this.#origin)
    try {
      const head = await conn.request(this.#requestFor(w))
      const reader = head.body as unknown as Reader
      if (head.status !== 200) {
        await reader.cancel()
        expectOk(head.status, w.url)
      }
      const bytes = await reader.readAll()
      pool.release(conn)
      if (w.response === 'json') return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString())
      return bytes.byteLength
    } catch (err) {
      pool.discard(conn)
      throw err
    }
  }

  async teardown(): Promise<void> {
    await this.#pool?.close()
    this.#pool = null
    await this.#transport?.close()
    this.#transport = null
    this.#requests.clear()
  }
}

export const sonicHttp1: PeerDefinition = {
  name: 'sonic-http1',
  label: 'sonic SmartPool+http1',
  description: "sonic's lower layers by hand: SmartPool + Http1Connection.request(), readAll()",
  create: () => new SonicHttp1Peer(),
}
