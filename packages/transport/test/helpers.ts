// Shared test fixtures: real servers on 127.0.0.1, certificates made with the openssl CLI (a
// test CA with a leaf for localhost/127.0.0.1, and a self-signed one), and a leak check
// (sockets, servers, timers).
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import * as tls from 'node:tls'
import type { Resolver } from '@sonic/resolver'
import { afterEach, beforeEach, expect } from 'vitest'

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

/** Listens on 127.0.0.1 (random port) or a unix socket path and tracks accepted sockets so close() can end them. */
export async function start<S extends net.Server>(server: S, path?: string): Promise<Started<S>> {
  const sockets: net.Socket[] = []
  server.on('connection', (s: net.Socket) => sockets.push(s))
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)))
  const port = path === undefined ? (server.address() as net.AddressInfo).port : 0
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A raw TCP server: `onSocket` decides what (if anything) the client gets. */
export function startRaw(onSocket: (socket: net.Socket) => void, path?: string): Promise<Started<net.Server>> {
  return start(net.createServer(onSocket), path)
}

/**
 * A TLS server with `cert` that writes `hello <alpn>` to every client; it offers the ALPN
 * protocols given (none by default) and may be limited to a TLS version.
 */
export function startTlsServer(
  cert: KeyPair,
  opts: { alpn?: string[]; maxVersion?: tls.SecureVersion; path?: string; onSecure?: (s: tls.TLSSocket) => void } = {},
): Promise<Started<tls.Server>> {
  const options: tls.TlsOptions = { key: cert.key, cert: cert.cert }
  if (opts.alpn !== undefined) options.ALPNProtocols = opts.alpn
  if (opts.maxVersion !== undefined) options.maxVersion = opts.maxVersion
  const server = tls.createServer(options, (socket) => {
    socket.on('error', () => {})
    opts.onSecure?.(socket)
    socket.write(`hello ${socket.alpnProtocol || 'none'}`)
  })
  server.on('tlsClientError', () => {}) // clients that hang up mid-handshake on purpose
  return start(server, opts.path)
}

/** Reads from `socket` until `n` bytes arrived, as a string. */
export function readString(socket: NodeJS.ReadableStream, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const onData = (d: Buffer): void => {
      got += d.toString()
      if (got.length >= n) {
        socket.off('data', onData)
        socket.off('error', reject)
        resolve(got)
      }
    }
    socket.on('data', onData)
    socket.on('error', reject)
  })
}

/** A port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

export interface KeyPair {
  key: string
  cert: string
  /** sha256 of the DER, 'AA:BB:…' as openssl and node print it. */
  fingerprint256: string
}

export interface TestCerts {
  /** The test CA (its certificate is what clients trust). */
  ca: KeyPair
  /** A certificate for localhost and 127.0.0.1 signed by `ca`. */
  leaf: KeyPair
  /** Another CA, trusted by nothing here: a second, different `ca` option. */
  otherCa: KeyPair
  /** A self-signed certificate for localhost and 127.0.0.1. */
  selfSigned: KeyPair
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
const SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1'

/** Certificates made with the openssl CLI in a temporary directory (removed afterwards). */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-transport-cert-'))
  const f = (name: string): string => join(dir, name)
  const pair = (name: string): KeyPair => {
    const cert = readFileSync(f(`${name}.pem`), 'utf8')
    return { key: readFileSync(f(`${name}.key`), 'utf8'), cert, fingerprint256: new X509Certificate(cert).fingerprint256 }
  }
  try {
    for (const ca of ['ca', 'other-ca']) {
      openssl(['req', '-x509', ...EC, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`), '-subj', `/CN=sonic ${ca}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    }
    openssl(['req', ...EC, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=localhost'])
    writeFileSync(f('leaf.ext'), `${SAN}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
    openssl(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '1', '-out', f('leaf.pem'), '-extfile', f('leaf.ext')])
    openssl(['req', '-x509', ...EC, '-keyout', f('self.key'), '-out', f('self.pem'), '-subj', '/CN=localhost', '-addext', SAN])
    return { ca: pair('ca'), leaf: pair('leaf'), otherCa: pair('other-ca'), selfSigned: pair('self') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `fingerprint256` as 64 lower-case hex digits. */
export function hex(fingerprint256: string): string {
  return fingerprint256.replace(/:/g, '').toLowerCase()
}

/** A resolver with fixed answers (and DnsErrors from `fail`): never asks the system. */
export function fixedResolver(answers: Record<string, string[]>, fail?: (host: string) => Error): Resolver & { asked: string[]; closed: boolean } {
  const self = {
    asked: [] as string[],
    closed: false,
    async resolve(host: string, port = 0, family: 0 | 4 | 6 = 0) {
      self.asked.push(host)
      const ips = answers[host]
      if (ips === undefined) throw fail?.(host) ?? new Error(`no answer for ${host}`)
      return ips
        .map((ip) => ({ hostname: host, host: ip, port, family: net.isIP(ip) as 4 | 6 }))
        .filter((a) => family === 0 || a.family === family)
    },
    async close() {
      self.closed = true
    },
  }
  return self
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
const SRC_MARK = join('transport', 'src') + sep
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

/** How many timers src/ has created so far in this test (cleared or not). */
export function timersCreated(): number {
  return ourTimers.size
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
    baseline = countResources()
  })
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
    await expectNoLeaks(baseline)
  })
  return cleanups
}

/** Listener counts of the events a connect attempt listens to (none of ours may be left). */
export function listenerCounts(emitter: NodeJS.EventEmitter): Record<string, number> {
  const out: Record<string, number> = {}
  for (const e of ['error', 'close', 'connect', 'secureConnect', 'timeout', 'session']) out[e] = emitter.listenerCount(e)
  return out
}
