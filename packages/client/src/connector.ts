// Connectors own the pools (one per origin and TLS setting), DNS, and how connections are made.
// The client asks a connector for a connection and gives it back; it never sees sockets.
import {
  ClientClosedError,
  InvalidArgumentError,
  PoolConfig,
  Timeouts,
  type HttpConnection,
  type PoolConfigInit,
  type TimeoutsInit,
} from '@sonic/core'
import { connectHttp1, TlsSessionCache, type Http1ConnectOptions } from '@sonic/http1'
import { CyclicQueuePool, SmartPool, type Pool } from '@sonic/pool'
import { CachingResolver, SystemResolver, createLookup, type Resolver } from '@sonic/resolver'
import type { LookupFunction } from 'node:net'
import type { TlsSettings } from './normalize-request.js'
import type { RequestTarget } from './request-target.js'

/** A pool class: SmartPool, CyclicQueuePool, or a compatible one. */
export type PoolClass = new (config: PoolConfig, factory: (origin: string, signal?: AbortSignal) => Promise<HttpConnection>) => Pool<HttpConnection>

/** Where a connection goes: what the connector needs to make one. */
export interface ConnectTarget {
  /** `protocol//host[:port]`: the pool key (with the TLS settings). */
  origin: string
  protocol: 'http:' | 'https:'
  hostname: string
  port: number
  tls: TlsSettings | null
  sockConnect: number | null
}

/** Makes a connection for a target; replaces the built-in HTTP/1.1 factory. */
export type ConnectionFactory = (target: ConnectTarget, signal?: AbortSignal) => Promise<HttpConnection>

export interface ConnectorOptions {
  /**
   * Pool settings per host: 'example.com', 'example.com:8443', 'https://example.com',
   * 'https://example.com:8443' or ':default'. Another key → InvalidArgumentError.
   */
  poolConfigs?: Record<string, PoolConfigInit | PoolConfig>
  /** Default timeouts of requests through this connector. */
  timeouts?: Timeouts | TimeoutsInit
  /**
   * Pool implementation.
   * @default SmartPool
   */
  poolClass?: PoolClass
  /** Custom connection factory (e.g. to wrap sockets). */
  connectionFactory?: ConnectionFactory
  /**
   * DNS resolver.
   * @default new SystemResolver()
   */
  resolver?: Resolver
  /**
   * How long (ms) resolved addresses are cached.
   * @default 10000
   */
  ttlDnsCache?: number
  /**
   * Cache DNS answers.
   * @default true
   */
  useDnsCache?: boolean
  /**
   * Speak HTTP/2 (not available yet in this build: true throws InvalidArgumentError).
   * @default false
   */
  http2?: boolean
  /** Address family to connect with (4 or 6); default: both, Happy Eyeballs. */
  family?: 0 | 4 | 6
  /** Local address to bind outgoing connections to. */
  localAddress?: string
}

const SEP = '\u0000'

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]]+):(\d{1,5})$/
const HOST = /^[^\s:/?#@[\]]+$/

/**
 * A poolConfigs key in the form poolConfigFor looks up (hosts lower-cased, IPv6 without
 * brackets); throws InvalidArgumentError for a key that is no origin, host:port or host.
 */
function poolConfigKey(key: string): string {
  if (key === ':default') return key
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(`poolConfigs key ${JSON.stringify(key)} ${why}: use ':default', 'host', 'host:port' or an origin such as 'https://host:8443'`)
  if (key.includes('://')) {
    let url: URL
    try {
      url = new URL(key)
    } catch {
      throw bad('is not a valid origin')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('has a scheme other than http or https')
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw bad('is not a bare origin')
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    // URL drops a default port; a key that spelt one out still names that exact origin.
    const explicitPort = url.port !== '' ? url.port : /:\d+\/?$/.test(key) ? (url.protocol === 'https:' ? '443' : '80') : null
    return explicitPort === null ? `${url.protocol}//${host}` : `${url.protocol}//${host}:${explicitPort}`
  }
  const hp = HOST_PORT.exec(key)
  if (hp !== null) {
    const port = Number(hp[2])
    if (port < 1 || port > 65535) throw bad('has a port outside 1-65535')
    const host = hp[1]!.startsWith('[') ? hp[1]!.slice(1, -1) : hp[1]!
    return `${host.toLowerCase()}:${port}`
  }
  if (HOST.test(key)) return key.toLowerCase()
  throw bad('is not a host')
}

/** Pools kept before empty ones are first dropped. */
const SWEEP_MIN = 64

/** Shared machinery of TCPConnector and UnixConnector. */
abstract class BaseConnector {
  readonly timeouts: Timeouts
  #poolConfigs: Map<string, PoolConfig>
  #poolClass: PoolClass
  #pools = new Map<string, { pool: Pool<HttpConnection>; target: ConnectTarget }>()
  /** The map size at which the next new pool first drops the empty ones (amortised O(1)). */
  #sweepAt = SWEEP_MIN
  #closed = false
  /** TLS sessions per TLS setting: a session verified under one CA or pin is never resumed under another. */
  #tlsSessions = new Map<string, TlsSessionCache>()
  protected readonly customFactory: ConnectionFactory | null
  protected readonly family: 0 | 4 | 6
  protected readonly localAddress: string | undefined

  constructor(opts: ConnectorOptions = {}) {
    if (opts.http2 === true) {
      throw new InvalidArgumentError('HTTP/2 is not available in this build of sonic yet (http2: true)')
    }
    this.timeouts = Timeouts.from(opts.timeouts)
    this.#poolClass = opts.poolClass ?? (SmartPool as unknown as PoolClass)
    this.#poolConfigs = new Map()
    for (const [key, init] of Object.entries(opts.poolConfigs ?? {})) this.#poolConfigs.set(poolConfigKey(key), PoolConfig.from(init))
    this.customFactory = opts.connectionFactory ?? null
    this.family = opts.family ?? 0
    this.localAddress = opts.localAddress
  }

  /** The pool config for an origin: exact origin, scheme+host, host:port, host, then ':default'. */
  poolConfigFor(protocol: string, hostname: string, port: number): PoolConfig {
    const c = this.#poolConfigs
    if (c.size === 0) return PoolConfig.DEFAULT
    const host = hostname.toLowerCase()
    return (
      c.get(`${protocol}//${host}:${port}`) ??
      c.get(`${protocol}//${host}`) ??
      c.get(`${host}:${port}`) ??
      c.get(host) ??
      c.get(':default') ??
      PoolConfig.DEFAULT
    )
  }

  /** The pool for a request target and its TLS settings, created on first use. */
  poolFor(target: RequestTarget, tls: TlsSettings | null, sockConnect: number | null): Pool<HttpConnection> {
    if (this.#closed) throw new ClientClosedError('The connector is closed')
    let key = target.origin
    if (tls !== null) key += SEP + tls.key
    // A request with its own sockConnect gets connections made with it.
    if (sockConnect !== this.timeouts.sockConnect) key += SEP + 'c' + String(sockConnect)
    let entry = this.#pools.get(key)
    if (entry === undefined) {
      if (this.#pools.size >= this.#sweepAt) this.#dropEmptyPools()
      const ct: ConnectTarget = {
        origin: target.origin,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        tls,
        sockConnect,
      }
      const factory = (_origin: string, signal?: AbortSignal) => this.connect(ct, signal)
      const pool = new this.#poolClass(this.poolConfigFor(ct.protocol, ct.hostname, ct.port), factory)
      entry = { pool, target: ct }
      this.#pools.set(key, entry)
    }
    return entry.pool
  }

  protected sessionCacheFor(tls: TlsSettings | null): TlsSessionCache {
    const key = tls === null ? '' : tls.key
    let cache = this.#tlsSessions.get(key)
    if (cache === undefined) {
      cache = new TlsSessionCache()
      this.#tlsSessions.set(key, cache)
    }
    return cache
  }

  /** What every HTTP/1.1 connection to `target` is made with (timeouts, TLS, session cache). */
  protected http1Options(target: ConnectTarget, signal?: AbortSignal): Http1ConnectOptions {
    const tls = target.tls
    return {
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      connectTimeout: target.sockConnect,
      signal: signal ?? null,
      rejectUnauthorized: tls === null ? true : tls.rejectUnauthorized,
      tls: tls?.options ?? undefined,
      fingerprint: tls?.fingerprint ?? null,
      tlsSessionCache: this.sessionCacheFor(tls),
    }
  }

  /** Makes one new connection to `target`. */
  protected abstract connect(target: ConnectTarget, signal?: AbortSignal): Promise<HttpConnection>

  /**
   * Forgets the pools that hold nothing (no connection, none being made, nobody waiting), so
   * one-off origins and TLS settings do not grow the map for ever. An empty pool has nothing to
   * close; a later request to its origin makes a new one.
   */
  #dropEmptyPools(): void {
    for (const [key, { pool }] of this.#pools) {
      const s = pool.stats
      if (s.busy + s.idle + s.connecting + s.waiting === 0) this.#pools.delete(key)
    }
    this.#sweepAt = Math.max(SWEEP_MIN, this.#pools.size * 2)
  }

  /** Pools by key (for inspection). */
  get pools(): ReadonlyMap<string, { pool: Pool<HttpConnection>; target: ConnectTarget }> {
    return this.#pools
  }

  /** Closes idle connections of every pool. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((e) => e.pool.cleanup()))
  }

  /** Closes every pool and its connections. */
  async close(): Promise<void> {
    this.#closed = true
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all(pools.map((e) => e.pool.close()))
  }

  get closed(): boolean {
    return this.#closed
  }
}

/**
 * Connects over TCP (and TLS for https), with a per-origin pool, DNS through a resolver and
 * a TTL cache, and Happy Eyeballs.
 * @example new TCPConnector({ poolConfigs: { ':default': { size: 50 } }, timeouts: { sockRead: 5000 } })
 */
export class TCPConnector extends BaseConnector {
  readonly resolver: Resolver
  #cache: CachingResolver | null
  #lookup: LookupFunction

  constructor(opts: ConnectorOptions = {}) {
    super(opts)
    const inner = opts.resolver ?? new SystemResolver()
    const useCache = opts.useDnsCache ?? true
    this.#cache = useCache ? new CachingResolver(inner, { ttl: opts.ttlDnsCache ?? 10000 }) : null
    this.resolver = this.#cache ?? inner
    this.#lookup = createLookup(this.resolver)
  }

  /** Forgets cached DNS answers (of one host, or all). */
  clearDnsCache(host?: string): void {
    this.#cache?.clear(host)
  }

  /** Host names with a cached DNS answer. */
  get cachedHosts(): string[] {
    return this.#cache === null ? [] : this.#cache.cachedHosts
  }

  protected connect(target: ConnectTarget, signal?: AbortSignal): Promise<HttpConnection> {
    if (this.customFactory !== null) return this.customFactory(target, signal)
    return connectHttp1({
      ...this.http1Options(target, signal),
      lookup: this.#lookup,
      family: this.family,
      localAddress: this.localAddress,
    })
  }

  override async close(): Promise<void> {
    await super.close()
    await this.resolver.close()
  }
}

export interface UnixConnectorOptions extends ConnectorOptions {
  /** Path of the unix domain socket every request goes to. */
  path: string
}

/**
 * Speaks HTTP over a unix domain socket; the URL's host only fills the Host header.
 * @example new HTTPClient({ connector: new UnixConnector({ path: '/var/run/docker.sock' }) })
 */
export class UnixConnector extends BaseConnector {
  readonly path: string

  constructor(opts: UnixConnectorOptions) {
    super(opts)
    if (typeof opts?.path !== 'string' || opts.path === '') throw new InvalidArgumentError('UnixConnector needs a socket path')
    this.path = opts.path
  }

  protected connect(target: ConnectTarget, signal?: AbortSignal): Promise<HttpConnection> {
    if (this.customFactory !== null) return this.customFactory(target, signal)
    return connectHttp1({ ...this.http1Options(target, signal), socketPath: this.path })
  }
}

export type Connector = TCPConnector | UnixConnector
