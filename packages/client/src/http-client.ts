// HTTPClient: the friendly top. One request() is: normalise once → the composed dispatch
// (deadline → redirect → stale retry → the user's interceptors → cookies → decompress → the
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
import type { ClientResponseHead } from './client-request.js'
import { TCPConnector, type Connector } from './connector.js'
import { cookies } from './cookies.js'
import { ACCEPT_ENCODING } from './decode-body.js'
import { decompress } from './decompress.js'
import { bodyLimits, DEFAULT_LIMITS, flattenHeaders, prepareRequest, type ClientDefaults, type PreparedRequest } from './normalize-request.js'
import { TargetCache } from './request-target.js'
import type { RequestInput, RequestOptions } from './options.js'
import { redirect } from './redirect.js'
import { deadline } from './request-deadline.js'
import { HttpResponse } from './response.js'
import { staleRetry } from './stale-retry.js'
import { proxyForOf, type ProxyInit } from './proxy-option.js'

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
  /** The dispatcher, when it is an Agent (TCPConnector, UnixConnector) or any dispatcher given. */
  readonly connector: Connector | Dispatcher
  readonly dispatcher: Dispatcher
  readonly cookieJar: CookieJar | null
  readonly #send: Dispatch
  readonly #owner: boolean
  #defaults: ClientDefaults
  #closed = false
  #pending = 0
  #idle: Array<() => void> = []

  constructor(options: ClientOptions = {}) {
    if (options.http2 === true) throw new InvalidArgumentError('HTTP/2 is not available in this build of sonic yet')
    if (options.connector !== undefined && options.dispatcher !== undefined && options.connector !== options.dispatcher) {
      throw new InvalidArgumentError('Give either connector or dispatcher, not both')
    }
    const dispatcher = options.dispatcher ?? options.connector ?? new TCPConnector()
    if (dispatcher === null || typeof dispatcher !== 'object' || typeof dispatcher.dispatch !== 'function' || typeof dispatcher.close !== 'function') {
      throw new InvalidArgumentError('dispatcher must be an Agent or an object with dispatch() and close()')
    }
    this.dispatcher = dispatcher
    this.connector = dispatcher
    this.#owner = options.dispatcherOwner ?? true
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
      policy: Object.freeze({ follow: false, maxRedirects, limits, decompress: true, onDownloadProgress: null, proxyFor: proxyForOf(options.proxy) }),
      proxies: new Map(),
    }
    const stack: Interceptor[] = [deadline(), redirect({ maxRedirects }), staleRetry(), ...user]
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
      return responseOf(await this.#send(prep), prep)
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

  /** Closes every pool (the dispatcher, unless dispatcherOwner is false); later requests fail with ClientClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#owner) await this.dispatcher.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** The HttpResponse of a final head, with the hops before it. */
function responseOf(head: ClientResponseHead, prep: PreparedRequest): HttpResponse {
  const res = new HttpResponse(head, head.url ?? prep.href, prep.method, prep.policy)
  const hops = head.history
  if (hops !== undefined) res.history = hops.map((h) => new HttpResponse(h, h.url ?? prep.href, prep.method, prep.policy))
  return res
}

/** The method a request was asked with, for naming it in an error before it was normalised. */
function requestMethod(options: RequestOptions | null | undefined): string {
  const m = options != null && typeof options === 'object' ? options.method : undefined
  return typeof m === 'string' ? m.toUpperCase() : 'GET'
}
