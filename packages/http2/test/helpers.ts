// Shared fixtures: real node:http2 servers on 127.0.0.1 (TLS with a self-signed certificate made
// by openssl, or h2c), sessions over sockets from @sonic/transport, request builders, and the
// leak check (sockets, servers, timers armed by src/).
import * as http2 from 'node:http2'
import type { HttpRequest, StreamBody } from '@sonic/core'
import { createLeakCheck, fromSource, makeSelfSigned, sleep, start, type KeyPair, type Started } from '@sonic/test-utils'
import { TcpTransport } from '@sonic/transport'
import { Http2Connection, type Http2ConnectionOptions } from '../src/index.js'

export { sleep, until } from '@sonic/test-utils'

export const leaks = createLeakCheck({ ours: fromSource('http2'), label: 'packages/http2/src' })

let cert: KeyPair | null = null
/** One self-signed certificate for localhost/127.0.0.1 per test file. */
export function testCert(): KeyPair {
  cert ??= makeSelfSigned()
  return cert
}

export interface H2Server extends Started<http2.Http2Server> {
  origin: string
  /** Sessions the server accepted, in order. */
  sessions: http2.ServerHttp2Session[]
  /** Streams open on the server now, and the most there were at once on one session. */
  maxPerSession(): number
}

/** An HTTP/2 server (TLS when `tls`, else h2c) running `handler` on every stream. */
export async function startH2(
  handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  opts: { tls?: boolean; settings?: http2.Settings; allowHTTP1?: boolean } = {},
): Promise<H2Server> {
  const tls = opts.tls ?? false
  const settings = opts.settings ?? {}
  const server = tls
    ? http2.createSecureServer({ key: testCert().key, cert: testCert().cert, settings, allowHTTP1: opts.allowHTTP1 ?? false })
    : http2.createServer({ settings })
  const sessions: http2.ServerHttp2Session[] = []
  const live = new Map<http2.ServerHttp2Session, number>()
  let most = 0
  server.on('session', (s) => {
    sessions.push(s)
    live.set(s, 0)
    s.on('error', () => {})
  })
  server.on('stream', (stream, headers) => {
    const s = stream.session as http2.ServerHttp2Session
    const n = (live.get(s) ?? 0) + 1
    live.set(s, n)
    most = Math.max(most, n)
    stream.on('error', () => {})
    stream.on('close', () => live.set(s, (live.get(s) ?? 1) - 1))
    handler(stream, headers)
  })
  const started = await start(server)
  const closeServer = started.close
  const close = async () => {
    for (const s of sessions) s.destroy()
    await closeServer()
  }
  return Object.assign(started, { origin: `${tls ? 'https' : 'http'}://127.0.0.1:${started.port}`, sessions, maxPerSession: () => most, close })
}

const transport = new TcpTransport()

/** A session to `server` over a socket from TcpTransport (TLS with ALPN h2, or h2c). */
export async function connectTo(server: { port: number; origin: string }, options: Http2ConnectionOptions = {}): Promise<Http2Connection> {
  const tls = server.origin.startsWith('https:')
  const { socket } = await transport.connect({
    protocol: tls ? 'https:' : 'http:',
    hostname: '127.0.0.1',
    port: server.port,
    ...(tls ? { tls: { ca: testCert().cert }, alpn: ['h2'] } : {}),
  })
  return new Http2Connection(socket, { origin: server.origin, ...options }).ready
}

export function makeRequest(init: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', path: '/', authority: '127.0.0.1', scheme: 'http', headers: [], body: null, sockRead: 5000, ...init }
}

export async function text(body: { readAll(): Promise<Uint8Array> }): Promise<string> {
  return Buffer.from(await body.readAll()).toString('utf8')
}

/** A StreamBody yielding `chunks`. */
export function streamOf(chunks: readonly (Uint8Array | string)[], length: number | null): StreamBody {
  return {
    length,
    replayable: true,
    async *stream() {
      for (const c of chunks) {
        await sleep(1)
        yield c
      }
    },
  }
}

/** Reads the request body a server stream received. */
export function readStream(stream: http2.ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}
