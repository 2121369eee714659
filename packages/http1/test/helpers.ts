// Shared test fixtures: real servers on 127.0.0.1, a self-signed certificate made with the
// openssl CLI, connections over sockets from @sonic/transport, request/body builders and a leak
// check (sockets, servers, timers) — the generic parts come from @sonic/test-utils.
import * as http from 'node:http'
import type * as net from 'node:net'
import type { Duplex } from 'node:stream'
import type { HttpRequest, StreamBody, TlsOptions } from '@sonic/core'
import { createLeakCheck, fromSource, makeSelfSigned, sleep, start as startServer, type KeyPair, type Started } from '@sonic/test-utils'
import { TcpTransport, UnixTransport, startTls, type TransportTarget } from '@sonic/transport'
import { Http1Connection, type Http1BodyReader } from '../src/index.js'

export { sleep, startRaw, until, type Started } from '@sonic/test-utils'

export function makeRequest(init: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    path: '/',
    authority: '127.0.0.1',
    scheme: 'http',
    headers: [],
    body: null,
    sockRead: 5000,
    ...init,
  }
}

export function reader(body: unknown): Http1BodyReader {
  return body as Http1BodyReader
}

export async function text(body: unknown): Promise<string> {
  return Buffer.from(await reader(body).readAll()).toString('utf8')
}

/** A StreamBody yielding `chunks` (optionally with a pause between them). */
export function streamOf(chunks: readonly (Uint8Array | string)[], length: number | null, gapMs = 0): StreamBody {
  return {
    length,
    replayable: true,
    async *stream() {
      for (const c of chunks) {
        if (gapMs > 0) await sleep(gapMs)
        yield c
      }
    },
  }
}

/** Listens on 127.0.0.1 (random port) and tracks the sockets of `event` so close() can end them. */
export function start<S extends net.Server>(server: S, event = 'connection'): Promise<Started<S>> {
  return startServer(server, { event })
}

/** A node http server running `handler`. */
export function startHttp(handler: http.RequestListener, options: http.ServerOptions = {}): Promise<Started<http.Server>> {
  return start(http.createServer(options, handler))
}

export type TestCert = KeyPair

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI. */
export function makeCert(): TestCert {
  return makeSelfSigned()
}

// Sockets, servers, pipes and the timers of http1/src (see @sonic/test-utils).
const leaks = createLeakCheck({ ours: fromSource('http1') })

/** Snapshot of the handles alive before a test (vitest's own IPC pipes). */
export const resourceBaseline = leaks.resourceBaseline
/** Fails unless every socket, server and library timer the test made is gone (waits up to 2 s for closes). */
export const expectNoLeaks = leaks.expectNoLeaks
/**
 * Registers, for the calling test file, cleanups run in reverse after each test followed by the
 * leak check. Returns the list tests push their cleanups onto.
 */
export const useCleanups = leaks.useCleanups

/** Where and how a test connects: what the tests used of the old connectHttp1's options. */
export interface ConnectOptions {
  /** @default 'http:' */
  protocol?: 'http:' | 'https:'
  /** Host to dial, or only the origin's name (SNI, certificate check) with `socketPath` or `socket`. @default '127.0.0.1' */
  hostname?: string
  port: number
  /** A unix domain socket instead of TCP (UnixTransport); TLS over it for https. */
  socketPath?: string
  /** TLS settings for https: `ca`, `servername`, `verify: false`, … */
  tls?: TlsOptions
  /** An already connected socket (a tunnel): used as is for http, with TLS layered on it (startTls) for https. */
  socket?: Duplex
  maxHeaderSize?: number
}

/**
 * http1 never dials: the socket comes from @sonic/transport (TcpTransport, UnixTransport or
 * startTls over a given socket, without TLS session resumption), then `new Http1Connection`.
 */
export async function connect(opts: ConnectOptions): Promise<Http1Connection> {
  const target: TransportTarget = { protocol: opts.protocol ?? 'http:', hostname: opts.hostname ?? '127.0.0.1', port: opts.port, tls: opts.tls ?? null }
  let socket: Duplex
  if (opts.socket !== undefined) {
    socket = target.protocol === 'https:' ? (await startTls(opts.socket, target)).socket : opts.socket
  } else {
    const transport =
      opts.socketPath === undefined ? new TcpTransport({ tlsSessionCache: null }) : new UnixTransport({ path: opts.socketPath, tlsSessionCache: null })
    try {
      socket = (await transport.connect(target)).socket
    } finally {
      await transport.close()
    }
  }
  return new Http1Connection(socket, { maxHeaderSize: opts.maxHeaderSize })
}

/** Connects to 127.0.0.1:`port` (http unless `extra` says otherwise); destroyed after the test. */
export async function openConn(cleanups: (() => unknown)[], port: number, extra: Partial<ConnectOptions> = {}): Promise<Http1Connection> {
  const conn = await connect({ port, ...extra })
  cleanups.push(() => conn.destroy())
  return conn
}
