// TCP to a host name or IP: DNS through a resolver with a TTL cache, Happy Eyeballs across the
// addresses, then TLS for https through the shared TLS path (start-tls.ts).
import * as net from 'node:net'
import { performance } from 'node:perf_hooks'
import { ClientClosedError, InvalidArgumentError } from '@sonic/core'
import { CachingResolver, SystemResolver, createLookup, type Resolver } from '@sonic/resolver'
import { awaitPhase, deadlineOf, dialError, type Deadline } from './connect-phase.js'
import { planConnect, secure, type TlsPlan } from './start-tls.js'
import type { CheckedTarget } from './target.js'
import { TlsSessionCache } from './tls-session-cache.js'
import type { Connected, Transport, TransportTarget } from './transport.js'

export interface TcpTransportOptions {
  /**
   * Resolves host names; wrapped in a CachingResolver unless `useDnsCache` is false.
   * @default new SystemResolver()
   */
  resolver?: Resolver
  /**
   * Address family to connect with: 4, 6, or 0 for both (Happy Eyeballs, RFC 8305).
   * @default 0
   */
  family?: 0 | 4 | 6
  /** Local address to bind outgoing connections to. */
  localAddress?: string
  /**
   * How long (ms) resolved addresses are cached.
   * @default 10000
   */
  ttlDnsCache?: number
  /**
   * Cache DNS answers (and share concurrent lookups of one name).
   * @default true
   */
  useDnsCache?: boolean
  /**
   * Where TLS sessions are kept for resumption; null to never resume.
   * @default new TlsSessionCache()
   */
  tlsSessionCache?: TlsSessionCache | null
}

/**
 * Connects over TCP, and TLS for `https:` targets. Names are resolved through `resolver` (cached
 * for `ttlDnsCache` ms) and every address is dialled Happy-Eyeballs style.
 *
 * @example
 * const transport = new TcpTransport({ ttlDnsCache: 30_000 })
 * const { socket, alpn } = await transport.connect({ protocol: 'https:', hostname: 'example.com', port: 443, alpn: ['h2', 'http/1.1'] })
 * await transport.close()
 */
export class TcpTransport implements Transport {
  /** The resolver connects go through (the CachingResolver when the DNS cache is on). */
  readonly resolver: Resolver
  /** TLS sessions kept for resumption, or null. */
  readonly tlsSessionCache: TlsSessionCache | null
  readonly #cache: CachingResolver | null
  readonly #lookup: net.LookupFunction
  readonly #family: 0 | 4 | 6
  readonly #localAddress: string | undefined
  /** The session cache was made here (not shared by the user): close() empties it. */
  readonly #ownSessions: boolean
  #closed = false

  constructor(options: TcpTransportOptions = {}) {
    const { family = 0, localAddress, useDnsCache = true } = options
    if (family !== 0 && family !== 4 && family !== 6) throw new InvalidArgumentError(`family must be 0, 4 or 6, got ${String(family)}`)
    if (localAddress !== undefined && net.isIP(localAddress) === 0) {
      throw new InvalidArgumentError(`localAddress must be an IP address, got ${JSON.stringify(localAddress)}`)
    }
    if (typeof useDnsCache !== 'boolean') throw new InvalidArgumentError('useDnsCache must be a boolean')
    const inner = options.resolver ?? new SystemResolver()
    if (inner === null || typeof inner !== 'object' || typeof inner.resolve !== 'function') {
      throw new InvalidArgumentError('resolver must implement resolve(host, port, family) and close()')
    }
    this.#cache = useDnsCache ? new CachingResolver(inner, { ttl: options.ttlDnsCache ?? 10000 }) : null
    this.resolver = this.#cache ?? inner
    this.#lookup = createLookup(this.resolver)
    this.#family = family
    this.#localAddress = localAddress
    this.#ownSessions = options.tlsSessionCache === undefined
    this.tlsSessionCache = this.#ownSessions ? new TlsSessionCache() : (options.tlsSessionCache ?? null)
  }

  /**
   * Opens a connection to `target.hostname:target.port`; for `https:` TLS is layered on it.
   *
   * Errors: DnsError (the name does not resolve), ConnectError (refused, unreachable, TLS
   * failure; cause = the OS or TLS error), ConnectTimeoutError, AbortError,
   * FingerprintMismatchError, InvalidArgumentError (bad target), ClientClosedError (closed).
   */
  connect(target: TransportTarget, signal: AbortSignal | null = null): Promise<Connected> {
    if (this.#closed) return Promise.reject(new ClientClosedError('The transport is closed'))
    const c = planConnect(target, true, signal)
    return c instanceof Error ? Promise.reject(c) : this.#open(c.target, c.plan, signal, deadlineOf(c.target.timeoutMs))
  }

  async #open(target: CheckedTarget, plan: TlsPlan | null, signal: AbortSignal | null, deadline: Deadline | null): Promise<Connected> {
    const opts: net.TcpNetConnectOpts = {
      host: target.hostname,
      port: target.port,
      lookup: this.#lookup,
      noDelay: true,
      autoSelectFamily: true,
    }
    if (this.#family !== 0) opts.family = this.#family
    if (this.#localAddress !== undefined) opts.localAddress = this.#localAddress
    // Timings: one clock read per phase; an IP literal is not looked up (net skips the lookup).
    const start = deadline === null ? performance.now() : deadline.endsAt - deadline.timeoutMs
    let dns: number | null = null
    const onLookup = (): void => {
      if (dns === null) dns = performance.now()
    }
    let socket: net.Socket
    try {
      socket = net.connect(opts)
    } catch (err) {
      throw dialError(err as Error, target.label, target.hostname)
    }
    if (net.isIP(target.hostname) === 0) socket.on('lookup', onLookup)
    try {
      await awaitPhase(socket, {
        ready: 'connect',
        label: target.label,
        deadline,
        signal,
        describe: (err) => dialError(err, target.label, target.hostname),
        closedMessage: `The connection to ${target.label} closed while connecting`,
      })
    } finally {
      socket.off('lookup', onLookup)
    }
    const connect = performance.now()
    socket.setNoDelay(true)
    if (plan === null) return { socket, alpn: null, proxied: false, timings: { start, dns, connect, tls: null } }
    const c = await secure(socket, plan, this.tlsSessionCache, signal, deadline)
    c.timings = { start, dns, connect, tls: performance.now() }
    return c
  }

  /** Forgets cached DNS answers (of one host, or all). */
  clearDnsCache(host?: string): void {
    this.#cache?.clear(host)
  }

  /** Host names with a cached DNS answer. */
  get cachedHosts(): string[] {
    return this.#cache === null ? [] : this.#cache.cachedHosts
  }

  /**
   * Closes the resolver (a given one too, as the connector does) and forgets the TLS sessions
   * unless the cache was given; later connects → ClientClosedError.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#ownSessions) this.tlsSessionCache?.clear()
    await this.resolver.close()
  }
}
