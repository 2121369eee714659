// Shared test fixtures: real servers on 127.0.0.1, a self-signed certificate made with the
// openssl CLI, connections over sockets from @sonic/transport, request/body builders and a leak
// check (sockets, servers, timers).
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as http from 'node:http'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import type { Duplex } from 'node:stream'
import type { HttpRequest, StreamBody, TlsOptions } from '@sonic/core'
import { TcpTransport, UnixTransport, startTls, type TransportTarget } from '@sonic/transport'
import { afterEach, beforeEach, expect } from 'vitest'
import { Http1Connection, type Http1BodyReader } from '../src/index.js'

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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves once `cond()` holds; polls every 5 ms, gives up (throws) after `limitMs`. */
export async function until(cond: () => boolean, limitMs = 3000): Promise<void> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited >= limitMs) throw new Error('condition not reached')
    await sleep(5)
  }
}

export interface Started<S extends net.Server> {
  server: S
  port: number
  /** Sockets the server accepted, in order. */
  sockets: net.Socket[]
  close(): Promise<void>
}

/** Listens on 127.0.0.1 (random port) and tracks accepted sockets so close() can end them. */
export async function start<S extends net.Server>(server: S, event = 'connection'): Promise<Started<S>> {
  const sockets: net.Socket[] = []
  server.on(event, (s: net.Socket) => sockets.push(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        if ('closeAllConnections' in server) (server as unknown as http.Server).closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A node http server running `handler`. */
export function startHttp(handler: http.RequestListener, options: http.ServerOptions = {}): Promise<Started<http.Server>> {
  return start(http.createServer(options, handler))
}

/** A raw TCP server: `onSocket` decides what (if anything) the client gets. */
export function startRaw(onSocket: (socket: net.Socket) => void): Promise<Started<net.Server>> {
  return start(net.createServer(onSocket))
}

export interface TestCert {
  key: string
  cert: string
  /** sha256 of the DER, 'AA:BB:…' as openssl and node print it. */
  fingerprint256: string
}

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI. */
export function makeCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-http1-cert-'))
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const key = readFileSync(join(dir, 'key.pem'), 'utf8')
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
    return { key, cert, fingerprint256: new X509Certificate(cert).fingerprint256 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Handles: vitest itself holds none of these but its IPC pipes, so counts are compared with a
// baseline taken before the test.
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'PipeWrap', 'PipeServerWrap']

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of WATCHED) counts[name] = 0
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r]!++
  return counts
}

// Timers: vitest's own timers come and go, so counting them says little. Instead every timer the
// code under test (src/) creates is recorded — unref'd ones too — and must be cleared or have
// fired by the end of the test. This observes setTimeout; it does not change what it does.
const ourTimers = new Set<NodeJS.Timeout>()
const SRC_MARK = join('http1', 'src') + sep
const realSetTimeout = globalThis.setTimeout
const watchedSetTimeout = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
  const timer = realSetTimeout(...args)
  if (new Error().stack?.includes(SRC_MARK)) ourTimers.add(timer)
  return timer
}
Object.assign(watchedSetTimeout, realSetTimeout)
globalThis.setTimeout = watchedSetTimeout as typeof setTimeout

function liveTimers(): number {
  let n = 0
  for (const t of ourTimers) if ((t as unknown as { _destroyed: boolean })._destroyed) ourTimers.delete(t)
  else n++
  return n
}

/** Snapshot of the handles alive before a test (vitest's own IPC pipes). */
export function resourceBaseline(): Record<string, number> {
  return countResources()
}

/** Fails unless every socket, server and library timer the test made is gone (waits up to 2 s for closes). */
export async function expectNoLeaks(baseline: Record<string, number>): Promise<void> {
  const over = (): string[] => {
    const now = countResources()
    const out = WATCHED.filter((k) => now[k]! > baseline[k]!).map((k) => `${k}: ${now[k]} > ${baseline[k]}`)
    const timers = liveTimers()
    if (timers > 0) out.push(`timers left by src/: ${timers}`)
    return out
  }
  const deadline = Date.now() + 2000
  while (over().length > 0 && Date.now() < deadline) await sleep(5)
  const left = over()
  ourTimers.clear()
  expect(left).toEqual([])
}

/**
 * Registers, for the calling test file, cleanups run in reverse after each test followed by the
 * leak check. Returns the list tests push their cleanups onto.
 */
export function useCleanups(): (() => unknown)[] {
  let baseline: Record<string, number> = {}
  const cleanups: (() => unknown)[] = []
  beforeEach(() => {
    baseline = resourceBaseline()
  })
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
    await expectNoLeaks(baseline)
  })
  return cleanups
}

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
