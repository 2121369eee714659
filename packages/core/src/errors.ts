// Every concrete error of API.md's table. They are grouped in one file because each is a few
// lines: a class, its code, and the fields that make it useful to handle.
import type { HttpHeaders } from './http-headers.js'
import { SonicError, type SonicErrorOptions } from './sonic-error.js'

/** Connecting failed: refused, unreachable, TLS handshake or certificate failure. `cause` is the OS/TLS error. */
export class ConnectError extends SonicError {
  static override readonly code = 'SONIC_CONNECT_ERROR'
}

/** A base for the timeout errors; `timeout` is the limit that expired, in ms. */
abstract class TimeoutBase extends SonicError {
  readonly timeout: number
  constructor(message: string, timeout: number, options?: SonicErrorOptions) {
    super(message, options)
    this.timeout = timeout
  }
}

/** The TCP (and TLS) connection was not established within `sockConnect` ms. */
export class ConnectTimeoutError extends TimeoutBase {
  static override readonly code = 'SONIC_CONNECT_TIMEOUT'
}

/** No bytes arrived from the server within `sockRead` ms. */
export class ReadTimeoutError extends TimeoutBase {
  static override readonly code = 'SONIC_READ_TIMEOUT'
}

/** The whole request, body included, took longer than `requestTimeout` ms. */
export class RequestTimeoutError extends TimeoutBase {
  static override readonly code = 'SONIC_REQUEST_TIMEOUT'
}

/** No pooled connection became free within `poolAcquire` ms. */
export class PoolAcquireTimeoutError extends TimeoutBase {
  static override readonly code = 'SONIC_POOL_ACQUIRE_TIMEOUT'
}

/** The response was malformed; `reason` is llhttp's reason and `llhttpCode` its error name. */
export class HttpParserError extends SonicError {
  static override readonly code = 'SONIC_PARSE_ERROR'
  readonly reason: string
  readonly llhttpCode: string
  constructor(reason: string, llhttpCode = 'HPE_INTERNAL', options?: SonicErrorOptions) {
    super(`Malformed HTTP response: ${reason} (${llhttpCode})`, options)
    this.reason = reason
    this.llhttpCode = llhttpCode
  }
}

/**
 * The peer closed the connection before the response was complete. `beforeResponse` is true
 * when not a byte of the response had arrived (the case a client may retry for idempotent requests).
 */
export class ConnectionClosedError extends SonicError {
  static override readonly code = 'SONIC_CONNECTION_CLOSED'
  readonly beforeResponse: boolean
  /**
   * The connection had carried a request before: a kept-alive connection the server may have
   * closed while it was idle. Set by the dispatcher that lent the connection; the stale-connection
   * retry reads it.
   */
  reused: boolean
  constructor(message = 'The connection was closed before the response was complete', options?: SonicErrorOptions & { beforeResponse?: boolean; reused?: boolean }) {
    super(message, options)
    this.beforeResponse = options?.beforeResponse ?? false
    this.reused = options?.reused ?? false
  }
}

/** More redirects than `maxRedirects`. `history` holds the responses seen (if the client kept them). */
export class MaxRedirectsError extends SonicError {
  static override readonly code = 'SONIC_MAX_REDIRECTS'
  readonly maxRedirects: number
  readonly history: readonly unknown[]
  constructor(maxRedirects: number, history: readonly unknown[] = [], options?: SonicErrorOptions) {
    super(`Exceeded maxRedirects (${maxRedirects})`, options)
    this.maxRedirects = maxRedirects
    this.history = history
  }
}

/** Bad input: an invalid URL, CR/LF/NUL in a header or method, an invalid option. */
export class InvalidArgumentError extends SonicError {
  static override readonly code = 'SONIC_INVALID_ARGUMENT'
}

/** What a ProxyError may carry besides its cause. */
export interface ProxyErrorOptions extends SonicErrorOptions {
  /** The headers of the proxy's answer (an HTTP proxy's non-2xx to CONNECT, or a 407). */
  headers?: HttpHeaders
  /** The SOCKS reply code (RFC 1928 REP, e.g. 5 = connection refused; SOCKS4: 91-93). */
  socksReply?: number
}

/**
 * The proxy refused or failed. `status` and `headers` are the HTTP proxy's answer when it sent one
 * (e.g. 407 with its `proxy-authenticate`); `socksReply` is the SOCKS proxy's reply code when it
 * refused the connection.
 */
export class ProxyError extends SonicError {
  static override readonly code = 'SONIC_PROXY_ERROR'
  /** The HTTP status the proxy answered with, if it answered one. */
  readonly status: number | undefined
  /** The headers of the proxy's answer, if it answered with HTTP. */
  readonly headers: HttpHeaders | undefined
  /** The SOCKS reply code (RFC 1928 REP), if a SOCKS proxy refused. */
  readonly socksReply: number | undefined
  constructor(message: string, status?: number, options?: ProxyErrorOptions) {
    super(message, options)
    this.status = status
    this.headers = options?.headers
    this.socksReply = options?.socksReply
  }
}

/** The server certificate's sha256 fingerprint did not match the pinned one. */
export class FingerprintMismatchError extends SonicError {
  static override readonly code = 'SONIC_FINGERPRINT_MISMATCH'
  readonly expected: string
  readonly actual: string
  constructor(expected: string, actual: string, options?: SonicErrorOptions) {
    super(`Certificate fingerprint mismatch: expected ${expected}, got ${actual}`, options)
    this.expected = expected
    this.actual = actual
  }
}

/**
 * The response header block was larger than the limit (default 64 KiB), or a body was larger than
 * can be held (`part: 'body'`).
 */
export class ResponseTooLargeError extends SonicError {
  static override readonly code = 'SONIC_RESPONSE_TOO_LARGE'
  readonly limit: number
  /** What went over the limit: the header block (default) or the body. */
  readonly part: 'head' | 'body'
  constructor(limit: number, options?: SonicErrorOptions & { part?: 'head' | 'body' }) {
    const part = options?.part ?? 'head'
    super(`Response ${part === 'head' ? 'header block' : 'body'} exceeds ${limit} bytes`, options)
    this.limit = limit
    this.part = part
  }
}

/** The body was already read (or is being read). */
export class BodyUsedError extends SonicError {
  static override readonly code = 'SONIC_BODY_USED'
  constructor(message = 'Body has already been consumed', options?: SonicErrorOptions) {
    super(message, options)
  }
}

/** The request was aborted through its AbortSignal. `cause` is the signal's reason. */
export class AbortError extends SonicError {
  static override readonly code = 'SONIC_ABORTED'
  constructor(message = 'The operation was aborted', options?: SonicErrorOptions) {
    super(message, options)
    this.name = 'AbortError'
  }
}

/** The client (or pool) was closed; no new requests are accepted. */
export class ClientClosedError extends SonicError {
  static override readonly code = 'SONIC_CLIENT_CLOSED'
  constructor(message = 'The client is closed', options?: SonicErrorOptions) {
    super(message, options)
  }
}

/** A host name could not be resolved. `hostname` is the name asked for. */
export class DnsError extends SonicError {
  static override readonly code = 'SONIC_DNS_ERROR'
  readonly hostname: string
  constructor(hostname: string, message?: string, options?: SonicErrorOptions) {
    super(message ?? `Could not resolve ${hostname}`, options)
    this.hostname = hostname
  }
}

/**
 * An HTTP/2 session or stream failed. `http2Code` is the RST_STREAM/GOAWAY error code's name
 * (`'REFUSED_STREAM'`, `'CANCEL'`, `'PROTOCOL_ERROR'`, …) when the peer sent one.
 */
export class Http2Error extends SonicError {
  static override readonly code = 'SONIC_HTTP2_ERROR'
  /** The HTTP/2 error code's name, e.g. `'REFUSED_STREAM'`, when known. */
  readonly http2Code: string | undefined
  constructor(message: string, http2Code?: string, options?: SonicErrorOptions) {
    super(message, options)
    this.http2Code = http2Code
  }
}

/** What `HttpStatusError` carries about the response that raised it. */
export interface HttpStatusErrorOptions extends SonicErrorOptions {
  /** The response's headers. */
  headers?: HttpHeaders
  /** The response itself, body unread (read or cancel it). */
  response?: unknown
}

/** `raiseForStatus` met a status ≥ 400. `url` is the full final URL. */
export class HttpStatusError extends SonicError {
  static override readonly code = 'SONIC_HTTP_STATUS'
  readonly status: number
  /** The headers of the response, when known. */
  readonly headers: HttpHeaders | undefined
  /** The response (body unread), when raised by the client. */
  readonly response: unknown
  constructor(status: number, message?: string, options?: HttpStatusErrorOptions) {
    super(message ?? `Response status ${status}`, options)
    this.status = status
    this.headers = options?.headers
    this.response = options?.response
  }
}

/** What `WebSocketError` carries. */
export interface WebSocketErrorOptions extends SonicErrorOptions {
  /** The HTTP status of a handshake answered with something other than 101. */
  status?: number
  /** The close code sent or received (1002, 1006, 1007, 1009, …). */
  closeCode?: number
}

/** A WebSocket handshake was refused or the connection broke the protocol. */
export class WebSocketError extends SonicError {
  static override readonly code = 'SONIC_WEBSOCKET_ERROR'
  /** The handshake's HTTP status when the server did not answer 101. */
  readonly status: number | undefined
  /** The WebSocket close code, when the failure closed the connection with one. */
  readonly closeCode: number | undefined
  constructor(message: string, options?: WebSocketErrorOptions) {
    super(message, options)
    this.status = options?.status
    this.closeCode = options?.closeCode
  }
}

/** A `MockAgent` with net connect disabled got a request no interceptor matches. */
export class MockNotMatchedError extends SonicError {
  static override readonly code = 'SONIC_MOCK_NOT_MATCHED'
  constructor(message: string, options?: SonicErrorOptions) {
    super(message, options)
  }
}
