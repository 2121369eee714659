// HTTPClient: the friendly top that composes the layers. One request() runs: normalise once →
// (per hop) pick the pool → acquire → connection.request → HttpResponse, following redirects and
// keeping cookies when asked. Everything protocol-specific lives below, in the connection.
import {
  attachRequest,
  ClientClosedError,
  ConnectionClosedError,
  HttpHeaders,
  InvalidArgumentError,
  MaxRedirectsError,
  PoolAcquireTimeoutError,
  Timeouts,
  isStreamBody,
  type HeadersInit,
  type HttpConnection,
  type HttpRequest,
  type RequestBody,
} from '@sonic/core'
import { CookieJar } from 'tough-cookie'
import { TCPConnector, type ConnectTarget, type Connector } from './connector.js'
import { compressBody } from './compress-body.js'
import { ACCEPT_ENCODING } from './decode-body.js'
import { Deadline } from './deadline.js'
import { bodyLimits, DEFAULT_LIMITS, flattenHeaders, isIdempotent, prepareRequest, type BodyLimits, type ClientDefaults, type PreparedRequest } from './normalize-request.js'
import { TargetCache } from './request-target.js'
import type { RequestInput, RequestOptions } from './options.js'
import { isRedirect, nextHop, type Hop } from './redirect.js'
import { HttpResponse, type BodyControl } from './response.js'
import type { Pool } from '@sonic/pool'

export interface ClientOptions {
  /**
   * How connections are made and pooled.
   * @default new TCPConnector()
   */
  connector?: Connector
  /**
   * Keep response cookies in an RFC 6265 jar and send them back.
   * @default false
   */
  handleCookies?: boolean
  /** A tough-cookie CookieJar to use (implies handleCookies). */
  cookieJar?: CookieJar
  /**
   * Verify TLS certificates.
   * @default true
   */
  verifySsl?: boolean
  /** Proxy (not available in this build yet: setting it throws InvalidArgumentError). */
  proxy?: unknown
  /**
   * Most redirects followed by one request.
   * @default 5
   */
  maxRedirects?: number
  /**
   * Most bytes of a response body after decoding; more → ResponseTooLargeError while reading.
   * @default null (no limit)
   */
  maxResponseSize?: number | null
  /**
   * Most decoded ÷ encoded bytes of a compressed body, checked once more than 1 MiB has been
   * decoded (a decompression bomb → ResponseTooLargeError in bounded memory).
   * @default 1000
   */
  maxDecompressionRatio?: number | null
  /**
   * Use HTTP/2 (not available in this build yet: true throws InvalidArgumentError).
   * @default false
   */
  http2?: boolean
  /** Default headers of every request; request headers win, case-insensitively. */
  headers?: HeadersInit
  /** Base for relative request URLs. */
  baseUrl?: string | URL
}

const NO_OPTIONS: RequestOptions = Object.freeze({})

const DEFAULT_HEADERS: [string, string][] = [
  ['accept-encoding', ACCEPT_ENCODING],
  ['user-agent', 'sonic/0.1'],
]

/**
 * An HTTP client with per-host connection pools.
 * @example
 * await using client = new HTTPClient()
 * const res = await client.get('http://127.0.0.1:8080/', { params: { q: 'x' } })
 * console.log(res.status, await res.text())
 */
export class HTTPClient {
  readonly connector: Connector
  readonly cookieJar: CookieJar | null
  #defaults: ClientDefaults
  #closed = false
  #pending = 0
  #idle: Array<() => void> = []

  constructor(options: ClientOptions = {}) {
    if (options.proxy !== undefined && options.proxy !== null) {
      throw new InvalidArgumentError('Proxies are not available in this build of sonic yet')
    }
    if (options.http2 === true) throw new InvalidArgumentError('HTTP/2 is not available in this build of sonic yet')
    this.connector = options.connector ?? new TCPConnector()
    this.cookieJar = options.cookieJar ?? (options.handleCookies === true ? new CookieJar() : null)
    const headers = new HttpHeaders(DEFAULT_HEADERS)
    if (options.headers !== undefined) for (const [k, v] of new HttpHeaders(options.headers)) headers.set(k, v)
    let baseUrl: URL | null = null
    if (options.baseUrl !== undefined) {
      try {
        baseUrl = new URL(String(options.baseUrl))
      } catch (cause) {
        throw new InvalidArgumentError(`Invalid baseUrl: ${String(options.baseUrl)}`, { cause })
      }
    }
    const maxRedirects = options.maxRedirects ?? 5
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new InvalidArgumentError('maxRedirects must be a non-negative integer')
    this.#defaults = {
      baseUrl,
      headers: Object.freeze(flattenHeaders(headers)) as readonly string[],
      timeouts: this.connector.timeouts ?? Timeouts.DEFAULT,
      verifySsl: options.verifySsl ?? true,
      maxRedirects,
      http2: false,
      targets: new TargetCache(),
      limits: bodyLimits(options, DEFAULT_LIMITS),
    }
  }

  /** Requests started and not yet answered (response head not returned). */
  get pendingRequests(): number {
    return this.#pending
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends a request; resolves with the response once its head has arrived. */
  async request(url: RequestInput, options?: RequestOptions | null): Promise<HttpResponse> {
    if (this.#closed) throw new ClientClosedError()
    this.#pending++
    try {
      if (options != null && typeof options !== 'object') throw new InvalidArgumentError('request options must be an object')
      let prep = prepareRequest(url, options ?? NO_OPTIONS, this.#defaults)
      if (prep instanceof Promise) prep = await prep
      if (prep.http2) throw new InvalidArgumentError('HTTP/2 is not available in this build of sonic yet')
      if (prep.compress !== false && prep.body !== null) {
        prep.body = await compressBody(prep.body, prep.compress)
        prep.headers = [...prep.headers, 'content-encoding', prep.compress]
      }
      return await this.#run(prep)
    } catch (err) {
      throw attachRequest(err, requestMethod(options), String(url))
    } finally {
      if (--this.#pending === 0 && this.#idle.length > 0) {
        const waiters = this.#idle
        this.#idle = []
        for (const w of waiters) w()
      }
    }
  }

  get(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'GET' })
  }
  head(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'HEAD' })
  }
  options(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'OPTIONS' })
  }
  delete(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'DELETE' })
  }
  post(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'POST' })
  }
  put(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'PUT' })
  }
  patch(url: RequestInput, options?: Omit<RequestOptions, 'method'>): Promise<HttpResponse> {
    return this.request(url, { ...options, method: 'PATCH' })
  }

  /** Resolves true once no request is pending, or false after `timeoutMs`. */
  waitRequests(timeoutMs = 30000): Promise<boolean> {
    if (this.#pending === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.#idle.indexOf(done)
        if (i >= 0) this.#idle.splice(i, 1)
        resolve(false)
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve(true)
      }
      this.#idle.push(done)
    })
  }

  /** Closes every pool; later requests fail with ClientClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.connector.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #run(prep: PreparedRequest): Promise<HttpResponse> {
    const ms = prep.timeouts.requestTimeout
    const deadline = ms === null ? null : new Deadline(ms)
    let hop: Hop = { target: prep.target, method: prep.method, headers: prep.headers, body: prep.body }
    const history: HttpResponse[] = []
    try {
      for (;;) {
        const { res, control } = await this.#exchange(prep, hop, deadline)
        if (this.cookieJar !== null) await this.#storeCookies(res, hop.target.href)
        const location = prep.follow && isRedirect(res.status) ? res.headers.get('location') : null
        if (location === null) {
          if (history.length > 0) res.history = history
          control.markFinal()
          return res
        }
        await res.release()
        history.push(res)
        if (history.length > prep.maxRedirects) throw new MaxRedirectsError(prep.maxRedirects, history)
        hop = nextHop(hop, res.status, location, prep.replayable)
      }
    } catch (err) {
      deadline?.clear()
      throw attachRequest(deadline === null ? err : deadline.map(err), hop.method, hop.target.href)
    }
  }

  async #storeCookies(res: HttpResponse, href: string): Promise<void> {
    const jar = this.cookieJar!
    for (const line of res.headers.getSetCookie()) {
      await jar.setCookie(line, href, { ignoreError: true })
    }
  }

  /** One hop: a connection from the pool, the request on it, and the response around its body. */
  async #exchange(prep: PreparedRequest, hop: Hop, deadline: Deadline | null): Promise<{ res: HttpResponse; control: ExchangeControl }> {
    const t = hop.target
    let headers = hop.headers
    if (this.cookieJar !== null) {
      const cookie = await this.cookieJar.getCookieString(t.href)
      if (cookie !== '') headers = [...headers, 'cookie', cookie]
    }
    // Taken after the last await before acquire(): the connector may drop empty pools meanwhile.
    const pool = this.connector.poolFor(t, t.https ? prep.tls : null, prep.timeouts.sockConnect)
    const req: HttpRequest = {
      method: hop.method,
      path: t.path,
      authority: t.authority,
      scheme: t.https ? 'https' : 'http',
      headers,
      body: hop.body,
      signal: prep.signal,
      sockRead: prep.timeouts.sockRead,
      expectContinue: prep.expectContinue,
      onUploadProgress: prep.onUploadProgress,
      validated: true,
    }
    const poolAcquire = prep.timeouts.poolAcquire
    for (let attempt = 0; ; attempt++) {
      // Waiting for a slot is bounded by poolAcquire and by what is left of requestTimeout.
      let bound = poolAcquire
      let boundByDeadline = false
      if (deadline !== null) {
        const left = deadline.remaining()
        if (bound === null || left < bound) {
          bound = left
          boundByDeadline = true
        }
      }
      let conn: HttpConnection
      try {
        conn = await pool.acquire(t.origin, prep.signal, bound)
      } catch (err) {
        if (boundByDeadline && err instanceof PoolAcquireTimeoutError) throw deadline!.error()
        throw err
      }
      deadline?.use(conn)
      let head
      try {
        head = await conn.request(req)
      } catch (err) {
        deadline?.use(null)
        pool.discard(conn)
        if (attempt === 0 && canRetry(err, conn, req.method, hop.body, prep.replayable) && deadline?.fired !== true) continue
        throw deadline === null ? err : deadline.map(err)
      }
      const control = new ExchangeControl(pool, conn, deadline, prep.onDownloadProgress, prep.limits, hop.method, t.href)
      const res = new HttpResponse(head, t.href, control)
      if (hasNoBody(hop.method, head.status, head.body.length)) await res.settleEmpty()
      return { res, control }
    }
  }
}

/** Finishes one exchange: gives the connection back and ends the deadline with the final body. */
class ExchangeControl implements BodyControl {
  #pool: Pool<HttpConnection>
  #conn: HttpConnection
  #deadline: Deadline | null
  #final = false
  #done = false
  #method: string
  #href: string
  readonly onDownloadProgress: BodyControl['onDownloadProgress']
  readonly limits: BodyLimits

  constructor(
    pool: Pool<HttpConnection>,
    conn: HttpConnection,
    deadline: Deadline | null,
    progress: BodyControl['onDownloadProgress'],
    limits: BodyLimits,
    method: string,
    href: string,
  ) {
    this.#method = method
    this.#href = href
    this.#pool = pool
    this.#conn = conn
    this.#deadline = deadline
    this.onDownloadProgress = progress
    this.limits = limits
  }

  done(ok: boolean): void {
    this.#done = true
    this.#deadline?.use(null)
    if (ok) this.#pool.release(this.#conn)
    else this.#pool.discard(this.#conn)
    if (this.#final) this.#deadline?.clear()
  }

  /** This exchange's response is the one returned to the user: its body end ends the deadline. */
  markFinal(): void {
    this.#final = true
    if (this.#done) this.#deadline?.clear()
  }

  mapError(err: unknown): unknown {
    return attachRequest(this.#deadline === null ? err : this.#deadline.map(err), this.#method, this.#href)
  }
}

function hasNoBody(method: string, status: number, length: number | null): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || length === 0
}

/**
 * A request that failed on a reused keep-alive connection before any response byte arrived is
 * retried once on another connection, but only when it is idempotent and its body can be resent.
 */
function canRetry(err: unknown, conn: HttpConnection, method: string, body: RequestBody, replayable: boolean): boolean {
  if (!(err instanceof ConnectionClosedError) || !err.beforeResponse) return false
  if (conn.requestCount <= 1) return false
  if (!isIdempotent(method)) return false
  if (body !== null && isStreamBody(body) && (!body.replayable || !replayable)) return false
  return true
}

/** The method a request was asked with, for naming it in an error before it was normalised. */
function requestMethod(options: RequestOptions | null | undefined): string {
  const m = options != null && typeof options === 'object' ? options.method : undefined
  return typeof m === 'string' ? m.toUpperCase() : 'GET'
}
