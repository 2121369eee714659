// HTTPClient: the friendly top. One request() is: normalise once → the composed dispatch
// (deadline → raiseForStatus → redirect → retry → stale retry → the user's interceptors → cookies → decompress → the
// dispatcher, by default an Agent: origin → pool → connection) → HttpResponse. Each behaviour
// lives in its own interceptor file; nothing protocol-specific is here.
import {
  attachRequest,
  ClientClosedError,
  compose,
  HttpHeaders,
  InvalidArgumentError,
  Timeouts,
  validatedHeaders,
  type Dispatch,
  type Dispatcher,
  type HeadersInit,
  type Interceptor,
} from '@sonic/core'
import { CookieJar } from 'tough-cookie'
import type { ClientRequest, ClientResponseHead } from './client-request.js'
import { TCPConnector, type Connector } from './connector.js'
import { cookies } from './cookies.js'
import { ACCEPT_ENCODING } from './decode-body.js'
import { decompress } from './decompress.js'
import { basicAuth, bodyLimits, cookieString, DEFAULT_LIMITS, flattenHeaders, prepareRequest, type ClientDefaults } from './normalize-request.js'
import { raiseForStatus } from './raise-for-status.js'
import { retry, retryPolicy, type RetryInit } from './retry.js'
import { TargetCache } from './request-target.js'
import type { AuthInit, CookiesInit, RequestInput, RequestOptions } from './options.js'
import { redirect } from './redirect.js'
import { deadline } from './request-deadline.js'
import { HttpResponse, type BodyReads } from './response.js'
import { staleRetry } from './stale-retry.js'
import { http2Mode } from './http2-agent.js'
import { proxyForOf, type ProxyInit } from './proxy-option.js'
import { clientWsConnect, type ClientWsConnectOptions } from './ws-connect.js'
import type { WebSocketClient } from '@sonic/websocket'

export interface ClientOptions {
  /**
   * How connections are made and pooled (an Agent; `dispatcher` is the same option).
   * @default new TCPConnector()
   */
  connector?: Connector
  /**
   * What sends the requests: an Agent, or any `{ dispatch, close }` (e.g. a mock).
   * @default the connector, else new TCPConnector()
   */
  dispatcher?: Dispatcher
  /**
   * Interceptors around the dispatcher, the first outermost. They run on every hop (each
   * redirect and retry attempt), inside the deadline, redirects and the stale-connection retry and
   * outside cookies and decompression.
   * @default []
   */
  interceptors?: Interceptor[]
  /**
   * close() closes the dispatcher too (aiohttp's connector_owner).
   * @default true
   */
  dispatcherOwner?: boolean
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
  /**
   * Proxy of every request (a request's own `proxy` wins): an HttpProxy or SocksProxy, a proxy
   * URL ('http://user:pass@host:3128', 'https://…', 'socks5://…', 'socks5h://…', 'socks4://…'),
   * 'env' (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, read once, when the client is made) or
   * a function of the URL returning a proxy or null.
   * @default null (direct)
   */
  proxy?: ProxyInit
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
   * Use HTTP/2: true offers `h2, http/1.1` by ALPN on https: (HTTP/1.1 when the server does not
   * pick h2) and speaks h2c with prior knowledge on http:; 'auto' is true for https: and HTTP/1.1
   * for http:. A request's `http2` wins.
   * @default false
   * @example new HTTPClient({ http2: 'auto' })
   */
  http2?: boolean | 'auto'
  /** Default headers of every request; request headers win, case-insensitively. */
  headers?: HeadersInit
  /** Base for relative request URLs. */
  baseUrl?: string | URL
  /**
   * A status ≥ 400 → HttpStatusError (with the response, body unread: read or release it); a
   * request's own `raiseForStatus` wins.
   * @default false
   */
  raiseForStatus?: boolean
  /**
   * Retries of every request (a request's own `retry` wins): options, a limit, true (the
   * defaults) or false / 0 (off). Only the stale keep-alive retry runs when off.
   * @default false
   */
  retry?: RetryInit
  /**
   * Undo Content-Encoding (gzip, deflate, br, zstd where node has it); false leaves bodies as received.
   * @default true
   */
  decompress?: boolean
  /**
   * Largest response header block, in bytes (→ ResponseTooLargeError); given to the connector the
   * client makes (with a connector of your own, set it there).
   * @default 65536
   */
  maxHeaderSize?: number
  /** Basic auth of every request: `{ username, password }` or `'user:pass'` (a request's own wins; never sent to another origin after a redirect). */
  auth?: AuthInit
  /** Cookies sent with every request (name → value), besides the jar's. */
  cookies?: CookiesInit
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
  /** The dispatcher, when it is an Agent (TCPConnector, UnixConnector) or any dispatcher given. */
  readonly connector: Connector | Dispatcher
  readonly dispatcher: Dispatcher
  readonly cookieJar: CookieJar | null
  readonly #send: Dispatch
  readonly #owner: boolean
  #defaults: ClientDefaults
  #closed = false
  /** WebSockets opened by wsConnect, closed with the client. */
  readonly #sockets = new Set<WebSocketClient>()
  #pending = 0
  /** Response bodies being read. */
  #reading = 0
  /** Told by this client's responses when a body read starts and ends (one object per client). */
  readonly #reads: BodyReads = {
    started: () => {
      this.#reading++
    },
    ended: () => {
      this.#reading--
      this.#wake()
    },
  }
  #idle: Array<() => void> = []

  constructor(options: ClientOptions = {}) {
    const http2 = http2Mode(options.http2)
    // The default connector takes the client's http2; a given dispatcher gets it on each request.
    const givenHttp2 = options.http2 !== undefined && (options.dispatcher ?? options.connector) !== undefined ? http2 : undefined
    if (options.connector !== undefined && options.dispatcher !== undefined && options.connector !== options.dispatcher) {
      throw new InvalidArgumentError('Give either connector or dispatcher, not both')
    }
    if (options.maxHeaderSize !== undefined && (options.dispatcher ?? options.connector) !== undefined) {
      throw new InvalidArgumentError('maxHeaderSize: set it on the connector given, not on the client')
    }
    const dispatcher =
      options.dispatcher ??
      options.connector ??
      new TCPConnector({ ...(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }), ...(http2 === false ? {} : { http2 }) })
    if (dispatcher === null || typeof dispatcher !== 'object' || typeof dispatcher.dispatch !== 'function' || typeof dispatcher.close !== 'function') {
      throw new InvalidArgumentError('dispatcher must be an Agent or an object with dispatch() and close()')
    }
    this.dispatcher = dispatcher
    this.connector = dispatcher
    this.#owner = options.dispatcherOwner ?? true
    this.cookieJar = options.cookieJar ?? (options.handleCookies === true ? new CookieJar() : null)
    const headers = new HttpHeaders(DEFAULT_HEADERS)
    if (options.headers !== undefined) for (const [k, v] of new HttpHeaders(options.headers)) headers.set(k, v)
    const auth = options.auth === undefined ? null : basicAuth(options.auth)
    if (auth !== null && !headers.has('authorization')) headers.set('authorization', auth)
    if (options.cookies != null) {
      const cookie = cookieString(options.cookies)
      if (cookie !== '') headers.set('cookie', headers.has('cookie') ? `${headers.get('cookie')}; ${cookie}` : cookie)
    }
    if (options.decompress !== undefined && typeof options.decompress !== 'boolean') throw new InvalidArgumentError('decompress must be a boolean')
    if (options.raiseForStatus !== undefined && typeof options.raiseForStatus !== 'boolean') throw new InvalidArgumentError('raiseForStatus must be a boolean')
    let baseUrl: URL | null = null
    // A dispatcher may name the base of relative URLs (a BalancedAgent's placeholder origin).
    const base = options.baseUrl ?? (dispatcher as { baseUrl?: string | URL }).baseUrl
    if (base !== undefined) {
      try {
        baseUrl = new URL(String(base))
      } catch (cause) {
        throw new InvalidArgumentError(`Invalid baseUrl: ${String(base)}`, { cause })
      }
    }
    const maxRedirects = options.maxRedirects ?? 5
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new InvalidArgumentError('maxRedirects must be a non-negative integer')
    const limits = bodyLimits(options, DEFAULT_LIMITS)
    const user = options.interceptors ?? []
    if (!Array.isArray(user)) throw new InvalidArgumentError('interceptors must be an array of functions')
    this.#defaults = {
      baseUrl,
      headers: validatedHeaders(flattenHeaders(headers)),
      timeouts: (dispatcher as { timeouts?: Timeouts }).timeouts ?? Timeouts.DEFAULT,
      verifySsl: options.verifySsl ?? true,
      maxRedirects,
      targets: new TargetCache(),
      policy: Object.freeze({
        follow: false,
        maxRedirects,
        limits,
        decompress: options.decompress ?? true,
        onDownloadProgress: null,
        proxyFor: proxyForOf(options.proxy),
        raiseForStatus: options.raiseForStatus ?? false,
        retry: retryPolicy(options.retry),
      }),
      proxies: new Map(),
      auth: auth !== null && headers.get('authorization') === auth ? auth : null,
      http2: givenHttp2,
    }
    // raiseForStatus sees the final hop; retry runs on each hop, outside the stale-connection retry.
    const raise = raiseForStatus({ response: (head, req) => this.#response(head, req as ClientRequest) })
    const stack: Interceptor[] = [deadline(), raise, redirect({ maxRedirects }), retry(false), staleRetry(), ...user]
    if (this.cookieJar !== null) stack.push(cookies(this.cookieJar))
    stack.push(decompress({ limits }))
    this.#send = compose(dispatcher.dispatch, ...stack)
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
      return this.#response(await this.#send(prep), prep)
    } catch (err) {
      throw attachRequest(err, requestMethod(options), String(url))
    } finally {
      this.#pending--
      this.#wake()
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

  /** The HttpResponse of a final head, with the hops before it. */
  #response(head: ClientResponseHead, req: ClientRequest): HttpResponse {
    const res = new HttpResponse(head, head.url ?? req.href, req.method, req.policy, this.#reads)
    const hops = head.history
    if (hops !== undefined) res.history = hops.map((h) => new HttpResponse(h, h.url ?? req.href, req.method, req.policy))
    return res
  }

  /** Resolves the waitRequests() callers once nothing is pending. */
  #wake(): void {
    if (this.#pending + this.#reading === 0 && this.#idle.length > 0) {
      const waiters = this.#idle
      this.#idle = []
      for (const w of waiters) w()
    }
  }

  /** Resolves true once no request is pending and no response body is being read, or false after `timeoutMs`. */
  waitRequests(timeoutMs = 30000): Promise<boolean> {
    if (this.#pending + this.#reading === 0) return Promise.resolve(true)
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

  /** Closes every pool (the dispatcher, unless dispatcherOwner is false); later requests fail with ClientClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // WebSockets it opened close too (1001 going away), as aiohttp's session.close() does.
    const open = [...this.#sockets]
    this.#sockets.clear()
    await Promise.all(open.map((ws) => ws.close({ code: 1001, reason: 'client closed' }).catch(() => {})))
    if (this.#owner) await this.dispatcher.close()
  }

  /**
   * Opens a WebSocket (aiohttp's ws_connect) with this client's transport, proxy, default
   * headers, verifySsl and cookie jar; see @sonic/websocket for the options and the socket.
   * @example
   * await using ws = await client.wsConnect('ws://127.0.0.1:8080/chat', { protocols: ['chat'] })
   * await ws.sendStr('hi')
   */
  wsConnect(url: string | URL, options?: ClientWsConnectOptions): Promise<WebSocketClient> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    return clientWsConnect({ dispatcher: this.dispatcher, cookieJar: this.cookieJar, defaults: this.#defaults }, url, options).then((ws) => {
      // Kept until the client closes (which closes it); closed ones are dropped as new ones come.
      for (const old of this.#sockets) if (old.closed) this.#sockets.delete(old)
      if (this.#closed) {
        ws.close({ code: 1001, reason: 'client closed' }).catch(() => {})
        throw new ClientClosedError()
      }
      this.#sockets.add(ws)
      return ws
    })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** The method a request was asked with, for naming it in an error before it was normalised. */
function requestMethod(options: RequestOptions | null | undefined): string {
  const m = options != null && typeof options === 'object' ? options.method : undefined
  return typeof m === 'string' ? m.toUpperCase() : 'GET'
}
