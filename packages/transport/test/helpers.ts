// Shared test fixtures: real servers on 127.0.0.1, certificates made with the openssl CLI (a
// test CA with a leaf for localhost/127.0.0.1, and a self-signed one), and a leak check
// (sockets, servers, timers) — the generic parts come from @sonic/test-utils.
import * as net from 'node:net'
import * as tls from 'node:tls'
import type { Resolver } from '@sonic/resolver'
import { createLeakCheck, fromSource, start as startServer, type KeyPair, type Started } from '@sonic/test-utils'

export { freePort, hex, makeCerts, sleep, until, type KeyPair, type Started, type TestCerts } from '@sonic/test-utils'

/** Listens on 127.0.0.1 (random port) or a unix socket path and tracks accepted sockets so close() can end them. */
export function start<S extends net.Server>(server: S, path?: string): Promise<Started<S>> {
  return startServer(server, path === undefined ? {} : { path })
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

// Sockets, servers, pipes and the timers of transport/src (see @sonic/test-utils).
const leaks = createLeakCheck({ ours: fromSource('transport') })

/** How many timers src/ has created so far in this test (cleared or not). */
export const timersCreated = leaks.timersCreated
/** Fails unless every socket, server and library timer the test made is gone (waits up to 2 s for closes). */
export const expectNoLeaks = leaks.expectNoLeaks
/**
 * Registers, for the calling test file, cleanups run in reverse after each test followed by the
 * leak check. Returns the list tests push their cleanups onto.
 */
export const useCleanups = leaks.useCleanups

/** Listener counts of the events a connect attempt listens to (none of ours may be left). */
export function listenerCounts(emitter: NodeJS.EventEmitter): Record<string, number> {
  const out: Record<string, number> = {}
  for (const e of ['error', 'close', 'connect', 'secureConnect', 'timeout', 'session']) out[e] = emitter.listenerCount(e)
  return out
}
