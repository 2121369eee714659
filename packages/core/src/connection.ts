// The shapes that connect the layers. Pools know only PoolableConnection; the client knows only
// HttpConnection. @sonic/http1 and @sonic/http2 implement them; nothing here depends on either.
import type { HttpHeaders } from './http-headers.js'
import type { RequestBody, BodyReader, Progress } from './body.js'

/** What a pool needs from a connection. */
export interface PoolableConnection {
  /** True once the connection can carry no more requests (closed by either side, or broken). */
  readonly closed: boolean
  /** Requests started on this connection so far. */
  readonly requestCount: number
  /** Idle limit (ms) the server announced with `Keep-Alive: timeout=N`, else null. */
  readonly keepAliveTimeout: number | null
  /**
   * How many requests the connection can carry at once: 1 for HTTP/1.1, the peer's
   * `MAX_CONCURRENT_STREAMS` for HTTP/2. A whole number; it may change during the connection's
   * life (e.g. when HTTP/2 SETTINGS arrive), and a pool reads it again each time it lends or takes
   * back the connection. Below the current number of borrowers (0 included), the connection
   * takes no new ones until enough of them are done.
   * @default 1
   */
  readonly capacity?: number
  /** The pool marks a connection idle (true) when it is released and busy (false) when handed out; an idle connection must not keep the process alive. */
  setIdle(idle: boolean): void
  /** Closes the connection at once and frees its socket. Safe to call more than once. */
  destroy(err?: Error): void
}

/**
 * Creates a connection to `origin` (e.g. `https://example.com:443`). `context` is what the acquire()
 * that needed the connection passed along (e.g. its connect timeout), or undefined.
 */
export type ConnectionFactory<C extends PoolableConnection> = (origin: string, signal?: AbortSignal, context?: unknown) => Promise<C>

/** Progress of an upload or download. */
export type ProgressCallback = (progress: Progress) => void

/** One request as the protocol layers receive it: already validated and normalised. */
export interface HttpRequest {
  /** Upper-case method token. */
  readonly method: string
  /** Request target: origin-form (`/a?b`), or absolute-form when talking to a forward proxy. */
  readonly path: string
  /** `host[:port]` for the Host header / :authority. */
  readonly authority: string
  /** 'http' or 'https' (for HTTP/2's :scheme). */
  readonly scheme: 'http' | 'https'
  /** Flat [name, value, …] headers, already validated. Host, Content-Length and Transfer-Encoding are added by the protocol layer when absent. */
  readonly headers: readonly string[]
  readonly body: RequestBody
  readonly signal?: AbortSignal | null
  /** Each wait for bytes from the server, in ms; null for none. */
  readonly sockRead: number | null
  /** Send `Expect: 100-continue` and wait for the server before sending the body. */
  readonly expectContinue?: boolean
  /** Called as body bytes are written. */
  readonly onUploadProgress?: ProgressCallback | null
}

/** The head of a response plus a reader for its body. */
export interface HttpResponseHead {
  readonly status: number
  readonly statusText: string
  readonly httpVersion: '1.0' | '1.1' | '2'
  /** Headers as received (flat, lazily decoded). */
  readonly headers: HttpHeaders
  /** The response used chunked transfer-encoding. */
  readonly chunked: boolean
  readonly body: BodyReader
}

/**
 * One HTTP connection (HTTP/1.1: one request at a time; HTTP/2: a session). The body reader
 * of each response must be read to the end or cancelled before the connection is reusable.
 */
export interface HttpConnection extends PoolableConnection {
  request(req: HttpRequest): Promise<HttpResponseHead>
}
