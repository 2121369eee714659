// The innermost dispatcher of a client: origin → pool → connection. It owns the pools (one per
// origin and TLS setting), makes connections through a transport, and hands out response heads
// whose body gives the connection back when it ends. It knows nothing of redirects, cookies,
// decoding or request deadlines: those are interceptors around it.
import {
  attachRequest,
  ClientClosedError,
  ConnectError,
  ConnectionClosedError,
  InvalidArgumentError,
  isSonicError,
  PoolAcquireTimeoutError,
  ProxyError,
  Timeouts,
  type BodyReader,
  type Dispatch,
  type DispatchRequest,
  type HttpConnection,
  type HttpResponseHead,
  type PoolConfig,
  type PoolConfigInit,
  type TimeoutsInit,
  type TlsOptions,
} from '@sonic/core'
import { performance } from 'node:perf_hooks'
import { Http1Connection } from '@sonic/http1'
import { h2Connect, h2PoolClass, http2Mode, isHttp2Session, retryOnH2, streamDeadline, useHttp2, type Http2Mode } from './http2-agent.js'
import { SmartPool, type Pool } from '@sonic/pool'
import { HttpProxy, isProxy } from '@sonic/proxy'
import { TcpTransport, tlsOptionsKey, type ConnectTimings, type Transport } from '@sonic/transport'
import type { Deadline } from './deadline.js'
import { connectionConnected, describeRequest, requestCreate, requestError, requestHeaders, tracingRequests } from './diagnostics.js'
import { poolConfigFor, poolConfigMap } from './pool-config-key.js'
import { EMPTY_BODY, giveBack, PooledBody, withHeadBody } from './pooled-body.js'
import type { Proxy } from './proxy-option.js'
import { connectionTimings, RequestTimings } from './timings.js'

/** A pool class: SmartPool, CyclicQueuePool, or a compatible one. */
export type PoolClass = new (
  config: PoolConfig,
  factory: (origin: string, signal?: AbortSignal, context?: unknown) => Promise<HttpConnection>,
) => Pool<HttpConnection>

/** Where a connection goes: what a connection factory needs to make one. */
export interface ConnectTarget {
  /** `protocol//host[:port]`. */
  readonly origin: string
  readonly protocol: 'http:' | 'https:'
  readonly hostname: string
  readonly port: number
  /** TLS settings for https (null: verify against the default CAs). */
  readonly tls: TlsOptions | null
  /** Connect timeout in ms; null for none. */
  readonly sockConnect: number | null
  /** The proxy the connection tunnels through (CONNECT or SOCKS), or null. */
  readonly proxy: Proxy | null
  /** Speak HTTP/2 (ALPN h2 for https:, h2c with prior knowledge for http:); absent: HTTP/1.1. */
  readonly http2?: boolean
}

/** Makes a connection for a target; replaces the built-in transport + HTTP/1.1 factory. */
export type ConnectionFactory = (target: ConnectTarget, signal?: AbortSignal) => Promise<HttpConnection>

export interface AgentOptions {
  /**
   * How bytes reach a host.
   * @default new TcpTransport()
   */
  transport?: Transport
  /**
   * Pool settings per host: 'example.com', 'example.com:8443', 'https://example.com',
   * 'https://example.com:8443' or ':default'. Another key → InvalidArgumentError.
   */
  poolConfigs?: Record<string, PoolConfigInit | PoolConfig>
  /** Default timeouts of requests through this agent. */
  timeouts?: Timeouts | TimeoutsInit
  /**
   * Pool implementation.
   * @default SmartPool
   */
  poolClass?: PoolClass
  /** Custom connection factory (e.g. to wrap sockets); the transport is then not used. */
  connectionFactory?: ConnectionFactory
  /**
   * Largest response header block accepted, in bytes → ResponseTooLargeError.
   * @default 65536
   */
  maxHeaderSize?: number
  /**
   * Speak HTTP/2: true offers `h2, http/1.1` by ALPN for https: (HTTP/1.1 when the server does
   * not pick h2) and uses h2c with prior knowledge for http:; 'auto' is true for https: and
   * HTTP/1.1 for http:. A request's own `http2` wins. HTTP/2 pools are `Http2MultiplexPool`s
   * unless `poolClass` is given.
   * @default false
   */
  http2?: boolean | 'auto'
  /**
   * No keep-alive (aiohttp's force_close): every request goes on a new connection, sends
   * `Connection: close`, and its connection is closed once the response is read.
   * @default false
   */
  forceClose?: boolean
}

/** What an agent holds, summed over its pools. */
export interface AgentStats {
  /** Pools kept (one per origin and TLS setting; empty ones are dropped as new ones come). */
  readonly pools: number
  /** Open connections, busy or idle. */
  readonly connections: number
  /** Connections carrying a request. */
  readonly busy: number
  /** Connections waiting to be reused. */
  readonly idle: number
}

/** @internal A request from sonic's own client may carry its deadline (requestTimeout). */
interface AgentRequest extends DispatchRequest {
  readonly deadline?: Deadline | null
  /** Send it on a connection that never carried a request (the stale-connection retry asks). */
  readonly fresh?: boolean
}

const SEP = '\u0000'
/** Pools kept before empty ones are first dropped. */
const SWEEP_MIN = 64
const ALPN_HTTP1 = ['http/1.1']
/** Most reused connections a `fresh` request skips before it takes what it gets. */
const MAX_SKIPPED = 64

/**
 * A dispatcher with a connection pool per origin (and TLS setting), connecting through a
 * transport. `agent.dispatch` is a Dispatch: compose interceptors around it, or give the agent to
 * `new HTTPClient({ dispatcher })`.
 * @example
 * const agent = new Agent({ poolConfigs: { ':default': { size: 50 } } })
 * const head = await agent.dispatch({ origin: 'http://127.0.0.1:8080', method: 'GET', path: '/',
 *   authority: '127.0.0.1:8080', scheme: 'http', headers: [], body: null, sockRead: 30000 })
 * console.log(head.status, Buffer.from(await head.body.readAll()).toString())
 * await agent.close()
 */
export class Agent {
  readonly timeouts: Timeouts
  readonly transport: Transport
  /** Sends one request over a pooled connection (bound: pass it around freely). */
  readonly dispatch: Dispatch
  readonly #poolConfigs: Map<string, PoolConfig>
  readonly #poolClass: PoolClass
  readonly #factory: ConnectionFactory | null
  readonly #maxHeaderSize: number
  readonly #forceClose: boolean
  readonly #http2: Http2Mode
  readonly #h2PoolClass: PoolClass
  /** Connect timings of connections made by the transport, read by their first request. */
  readonly #made = new WeakMap<HttpConnection, ConnectTimings>()
  readonly #pools = new Map<string, { pool: Pool<HttpConnection>; target: ConnectTarget }>()
  /** The map size at which the next new pool first drops the empty ones (amortised O(1)). */
  #sweepAt = SWEEP_MIN
  /** Tunnel transports by proxy key (made once per proxy). */
  readonly #tunnels = new Map<string, Transport>()
  /** The transport was made here (not given): close() closes it. */
  readonly #ownTransport: boolean
  #closed = false

  constructor(opts: AgentOptions = {}) {
    this.#http2 = http2Mode(opts.http2)
    this.#h2PoolClass = opts.poolClass ?? h2PoolClass()
    this.timeouts = Timeouts.from(opts.timeouts)
    this.#poolClass = opts.poolClass ?? (SmartPool as unknown as PoolClass)
    this.#poolConfigs = poolConfigMap(opts.poolConfigs)
    this.#factory = opts.connectionFactory ?? null
    const max = opts.maxHeaderSize ?? 65536
    if (!Number.isSafeInteger(max) || max <= 0) throw new InvalidArgumentError(`maxHeaderSize must be a positive integer, got ${String(max)}`)
    this.#maxHeaderSize = max
    if (opts.forceClose !== undefined && typeof opts.forceClose !== 'boolean') throw new InvalidArgumentError('forceClose must be a boolean')
    this.#forceClose = opts.forceClose === true
    this.#ownTransport = opts.transport === undefined
    this.transport = opts.transport ?? new TcpTransport()
    this.dispatch = (req) => this.#dispatch(req as AgentRequest)
  }

  /** The pool config for an origin: exact origin, scheme+host, host:port, host, then ':default'. */
  poolConfigFor(protocol: string, hostname: string, port: number): PoolConfig {
    return poolConfigFor(this.#poolConfigs, protocol, hostname, port)
  }

  /** Pools by key (for inspection). */
  get pools(): ReadonlyMap<string, { pool: Pool<HttpConnection>; target: ConnectTarget }> {
    return this.#pools
  }

  get stats(): AgentStats {
    let busy = 0
    let idle = 0
    for (const { pool } of this.#pools.values()) {
      const s = pool.stats
      busy += s.busy
      idle += s.idle
    }
    return { pools: this.#pools.size, connections: busy + idle, busy, idle }
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Closes idle connections of every pool. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((e) => e.pool.cleanup()))
  }

  /** Closes every pool and its connections; later requests reject with ClientClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all(pools.map((e) => e.pool.close()))
    if (this.#ownTransport) await (this.transport as { close?: () => Promise<void> }).close?.()
  }

  /** One request; any error names it (method and URL, without the query): one try, no extra await. */
  async #dispatch(req: AgentRequest): Promise<HttpResponseHead> {
    const start = performance.now()
    // Diagnostics: with nobody subscribed no message is built.
    const traced = tracingRequests() ? describeRequest(req) : null
    if (traced !== null && requestCreate.hasSubscribers) requestCreate.publish({ request: traced })
    try {
      if (this.#closed) throw new ClientClosedError('The agent is closed')
      const timeouts = req.timeouts ?? this.timeouts
      let pool: Pool<HttpConnection>
      let poolOrigin = req.origin
      let sent: DispatchRequest = req
      // An http:// target through an HTTP proxy goes in absolute form on the proxy's own pooled
      // connections; anything else through a proxy goes through a tunnel made by the pool's factory.
      const forward = req.proxy != null && req.scheme === 'http' && req.proxy instanceof HttpProxy ? req.proxy : null
      if (forward !== null) {
        pool = this.#forwardPool(forward)
        poolOrigin = forward.url
        sent = absoluteForm(req, forward)
      } else {
        pool = this.#poolFor(req, req.proxy == null ? null : proxyOf(req.proxy))
      }
      if (this.#forceClose) sent = { ...sent, headers: [...sent.headers, 'connection', 'close'] }
      const deadline = req.deadline ?? null
      // Waiting for a slot is bounded by poolAcquire and by what is left of requestTimeout.
      let bound = timeouts.poolAcquire
      let byDeadline = false
      if (deadline !== null) {
        const left = deadline.remaining()
        if (bound === null || left < bound) {
          bound = left
          byDeadline = true
        }
      }
      let conn: HttpConnection
      try {
        // The connect timeout goes with the acquire: a connection made for it uses the request's own.
        conn = await pool.acquire(poolOrigin, req.signal ?? null, bound, timeouts.sockConnect)
      } catch (err) {
        if (byDeadline && err instanceof PoolAcquireTimeoutError) throw deadline!.error()
        throw err
      }
      // Idle connections kept alive may all have been closed by the server at once: skip them.
      for (let spent = 0; req.fresh === true && conn.requestCount > 0 && (conn.capacity ?? 1) === 1 && spent < MAX_SKIPPED; spent++) {
        pool.discard(conn)
        conn = await pool.acquire(poolOrigin, req.signal ?? null, bound, timeouts.sockConnect)
      }
      const acquired = performance.now()
      const reused = conn.requestCount > 0
      // On a shared HTTP/2 session an expired deadline resets this stream, never the session.
      if (deadline !== null && isHttp2Session(conn)) sent = streamDeadline(sent, deadline)
      else deadline?.use(conn)
      let head: HttpResponseHead
      try {
        head = await conn.request(sent)
      } catch (err) {
        deadline?.use(null)
        // A failed HTTP/2 stream leaves its session (and the other streams on it) alone.
        giveBack(pool, conn, isHttp2Session(conn))
        // REFUSED_STREAM, or above a GOAWAY's last stream id: never processed, sent once more.
        const again = retryOnH2(err, req)
        if (again !== null) return this.#dispatch(again as AgentRequest)
        // A keep-alive connection the server had closed: the stale-connection retry may resend.
        if (err instanceof ConnectionClosedError && err.beforeResponse && conn.requestCount > 1) {
          err.reused = true
        }
        // What a connection reports untyped came from the caller's side: the body's source (the
        // request's data) or an upload-progress callback failed. Its error is the cause.
        throw isSonicError(err) ? err : new InvalidArgumentError(`The request body could not be sent: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
      const timings = new RequestTimings(start, acquired, reused ? null : (this.#made.get(conn) ?? null), performance.now())
      if (traced !== null && requestHeaders.hasSubscribers) {
        requestHeaders.publish({ request: traced, response: { status: head.status, headers: head.headers }, timings })
      }
      const body = head.body
      if (forward !== null && head.status === 407) {
        // The proxy wants credentials it was not given (or refused them): the proxy's error.
        await body.cancel().catch(() => {})
        deadline?.bodyDone()
        giveBack(pool, conn, !conn.closed)
        throw new ProxyError(`The proxy ${forward.url} refused the request: 407 ${head.statusText}`, 407, { headers: head.headers })
      }
      if (req.method === 'HEAD' || head.status === 204 || head.status === 304 || body.length === 0) {
        // Nothing to read: the connection goes back now, before the caller looks at the body.
        let ok = true
        try {
          while ((await body.read()) !== null) {
            // an empty body has nothing; anything else is discarded
          }
        } catch (err) {
          ok = false
          throw err
        } finally {
          timings.done()
          deadline?.bodyDone()
          giveBack(pool, conn, ok)
        }
        return withHeadBody(head, EMPTY_BODY, timings, reused)
      }
      return withHeadBody(head, new PooledBody(body, pool, conn, deadline, timings), timings, reused)
    } catch (err) {
      const named = attachRequest(err, req.method, req.origin + req.path)
      if (traced !== null && requestError.hasSubscribers) requestError.publish({ request: traced, error: named })
      throw named
    }
  }

  /** The pool for a request (by origin, TLS settings and proxy), created on first use. */
  #poolFor(req: DispatchRequest, proxy: Proxy | null): Pool<HttpConnection> {
    let key = req.origin
    const tls = req.scheme === 'https' ? (req.tls ?? null) : null
    if (tls !== null) key += SEP + poolTlsKey(tls)
    // Tunnelled and direct connections never mix; two proxies never share a pool.
    if (proxy !== null) key += SEP + 'via' + SEP + proxy.key
    // HTTP/2 sessions and HTTP/1.1 connections never share a pool.
    const h2 = req.http2 === undefined && this.#http2 === false ? false : useHttp2(req.http2 ?? this.#http2, req.scheme)
    if (h2) key += SEP + 'h2'
    const entry = this.#pools.get(key)
    if (entry !== undefined) return entry.pool
    const target = targetOf(req.origin, tls, this.timeouts.sockConnect, proxy)
    return this.#newPool(key, h2 ? { ...target, http2: true } : target)
  }

  /** The pool of kept-alive connections to an HTTP proxy itself, shared by every http:// target. */
  #forwardPool(proxy: HttpProxy): Pool<HttpConnection> {
    const key = 'forward' + SEP + proxy.key
    const entry = this.#pools.get(key)
    if (entry !== undefined) return entry.pool
    const t = proxy.target
    return this.#newPool(key, {
      origin: proxy.url,
      protocol: t.protocol,
      hostname: t.hostname,
      port: t.port,
      tls: t.tls ?? null,
      sockConnect: this.timeouts.sockConnect,
      proxy: null,
    })
  }

  #newPool(key: string, target: ConnectTarget): Pool<HttpConnection> {
    if (this.#pools.size >= this.#sweepAt) this.#dropEmptyPools()
    const factory = (_origin: string, signal?: AbortSignal, sockConnect?: unknown): Promise<HttpConnection> =>
      this.#connect(sockConnect === undefined || sockConnect === target.sockConnect ? target : { ...target, sockConnect: sockConnect as number | null }, signal)
    const PoolOf = target.http2 === true ? this.#h2PoolClass : this.#poolClass
    const pool = new PoolOf(this.poolConfigFor(target.protocol, target.hostname, target.port), factory)
    this.#pools.set(key, { pool, target })
    return pool
  }

  /** Makes one new connection to `target`: the transport connects, HTTP/1.1 speaks over it. */
  async #connect(target: ConnectTarget, signal?: AbortSignal): Promise<HttpConnection> {
    if (this.#factory !== null) return this.#factory(target, signal)
    const transport = target.proxy === null ? this.transport : this.#tunnel(target.proxy)
    if (target.http2 === true) {
      const made = await h2Connect(transport, target, signal, this.#maxHeaderSize)
      this.#connected(made.conn, target, made.alpn, made.timings)
      return made.conn
    }
    const c = await transport.connect(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, tls: target.tls, alpn: ALPN_HTTP1, timeoutMs: target.sockConnect },
      signal,
    )
    if (c.alpn !== null && c.alpn !== 'http/1.1') {
      c.socket.destroy()
      throw new ConnectError(`${target.origin} chose ${c.alpn}, which this agent does not speak`)
    }
    const conn = new Http1Connection(c.socket, { maxHeaderSize: this.#maxHeaderSize })
    this.#connected(conn, target, c.alpn, c.timings)
    return conn
  }

  /** Keeps a new connection's connect timings for its first request, and tells diagnostics. */
  #connected(conn: HttpConnection, target: ConnectTarget, alpn: string | null, timings: ConnectTimings | undefined): void {
    if (timings !== undefined) this.#made.set(conn, timings)
    if (connectionConnected.hasSubscribers) {
      connectionConnected.publish({ origin: target.origin, alpn, timings: timings === undefined ? null : connectionTimings(timings) })
    }
  }

  /** A transport that reaches targets through `proxy`, over this agent's own transport. */
  #tunnel(proxy: Proxy): Transport {
    const known = this.#tunnels.get(proxy.key)
    if (known !== undefined) return known
    const made: Transport = proxy.tunnel(this.transport)
    if (this.#tunnels.size >= 64) this.#tunnels.clear()
    this.#tunnels.set(proxy.key, made)
    return made
  }

  /**
   * Forgets the pools that hold nothing (no connection, none being made, nobody waiting), so
   * one-off origins and TLS settings do not grow the map for ever.
   */
  #dropEmptyPools(): void {
    for (const [key, { pool }] of this.#pools) {
      const s = pool.stats
      if (s.busy + s.idle + s.connecting + s.waiting === 0) this.#pools.delete(key)
    }
    this.#sweepAt = Math.max(SWEEP_MIN, this.#pools.size * 2)
  }
}

/** Pool keys of TLS options objects seen before (the client hands the same object for the same settings). */
const tlsKeys = new WeakMap<TlsOptions, string>()

/**
 * The part of a pool key that TLS settings make: verification, pin, SNI name and the content of
 * the other options. Two requests with equal settings share a pool, whatever objects they came in.
 */
function poolTlsKey(tls: TlsOptions): string {
  let key = tlsKeys.get(tls)
  if (key === undefined) {
    const verify = tls.verify ?? tls.rejectUnauthorized ?? true
    const pin = tls.fingerprint == null ? '' : tls.fingerprint.replace(/:/g, '').toLowerCase()
    key = `${verify ? 'v' : 'i'}|${pin}|${tls.servername ?? ''}|${tlsOptionsKey(tls)}`
    tlsKeys.set(tls, key)
  }
  return key
}

/** `req` as an HTTP proxy wants it: the absolute URL as the target, its credentials added. */
function absoluteForm(req: DispatchRequest, proxy: HttpProxy): DispatchRequest {
  const extra = proxy.forwardHeaders
  return { ...req, path: req.origin + req.path, headers: extra.length === 0 ? req.headers : [...req.headers, ...extra] }
}

/** A request's `proxy`, checked (DispatchRequest types it `unknown`). */
function proxyOf(value: unknown): Proxy {
  if (!isProxy(value)) throw new InvalidArgumentError('proxy must be an HttpProxy or a SocksProxy from @sonic/proxy')
  return value
}

function targetOf(origin: string, tls: TlsOptions | null, sockConnect: number | null, proxy: Proxy | null): ConnectTarget {
  let url: URL
  try {
    url = new URL(origin)
  } catch (cause) {
    throw new InvalidArgumentError(`Invalid origin: ${JSON.stringify(origin)}`, { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`Unsupported origin protocol: ${JSON.stringify(origin)}`)
  const https = url.protocol === 'https:'
  const raw = url.hostname
  return {
    origin,
    protocol: https ? 'https:' : 'http:',
    hostname: raw.charCodeAt(0) === 91 /* [ */ ? raw.slice(1, -1) : raw,
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    tls,
    sockConnect,
    proxy,
  }
}
