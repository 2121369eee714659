// A unix domain socket: every target goes to the one path; its host name and port only name the
// origin (SNI and the certificate check when TLS is layered on the socket for https).
import * as net from 'node:net'
import { performance } from 'node:perf_hooks'
import { ClientClosedError, ConnectError, InvalidArgumentError } from '@sonic/core'
import { awaitPhase, deadlineOf, reason, type Deadline } from './connect-phase.js'
import { planConnect, secure, type TlsPlan } from './start-tls.js'
import type { CheckedTarget } from './target.js'
import { TlsSessionCache } from './tls-session-cache.js'
import type { Connected, Transport, TransportTarget } from './transport.js'

export interface UnixTransportOptions {
  /** Path of the unix domain socket every connection goes to. */
  path: string
  /**
   * Where TLS sessions are kept for resumption (https over the socket); null to never resume.
   * @default new TlsSessionCache()
   */
  tlsSessionCache?: TlsSessionCache | null
}

/**
 * Connects to a unix domain socket; for `https:` targets TLS runs over it.
 *
 * @example
 * const transport = new UnixTransport({ path: '/var/run/docker.sock' })
 * const { socket } = await transport.connect({ protocol: 'http:', hostname: 'localhost', port: 80 })
 */
export class UnixTransport implements Transport {
  readonly path: string
  /** TLS sessions kept for resumption, or null. */
  readonly tlsSessionCache: TlsSessionCache | null
  readonly #ownSessions: boolean
  #closed = false

  constructor(options: UnixTransportOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw new InvalidArgumentError('UnixTransport needs a socket path')
    this.path = options.path
    this.#ownSessions = options.tlsSessionCache === undefined
    this.tlsSessionCache = this.#ownSessions ? new TlsSessionCache() : (options.tlsSessionCache ?? null)
  }

  /**
   * Opens a connection to the socket; for `https:` TLS is layered on it.
   *
   * Errors: ConnectError (no such socket, refused, TLS failure; cause = the OS or TLS error),
   * ConnectTimeoutError, AbortError, FingerprintMismatchError, InvalidArgumentError,
   * ClientClosedError.
   */
  connect(target: TransportTarget, signal: AbortSignal | null = null): Promise<Connected> {
    if (this.#closed) return Promise.reject(new ClientClosedError('The transport is closed'))
    const c = planConnect(target, false, signal)
    return c instanceof Error ? Promise.reject(c) : this.#open(c.target, c.plan, signal, deadlineOf(c.target.timeoutMs))
  }

  async #open(target: CheckedTarget, plan: TlsPlan | null, signal: AbortSignal | null, deadline: Deadline | null): Promise<Connected> {
    const label = `${target.label} (unix socket ${this.path})`
    const start = deadline === null ? performance.now() : deadline.endsAt - deadline.timeoutMs
    const socket = net.connect({ path: this.path })
    await awaitPhase(socket, {
      ready: 'connect',
      label,
      deadline,
      signal,
      describe: (err) => new ConnectError(`Could not connect to ${label}: ${reason(err)}`, { cause: err }),
      closedMessage: `The connection to ${label} closed while connecting`,
    })
    const connect = performance.now()
    if (plan === null) return { socket, alpn: null, proxied: false, timings: { start, dns: null, connect, tls: null } }
    const c = await secure(socket, plan, this.tlsSessionCache, signal, deadline)
    c.timings = { start, dns: null, connect, tls: performance.now() }
    return c
  }

  /** Forgets the TLS sessions (unless the cache was given); later connects → ClientClosedError. */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#ownSessions) this.tlsSessionCache?.clear()
  }
}
