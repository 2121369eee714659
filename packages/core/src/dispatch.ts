// The seam every client is built on: a Dispatch turns one request into a response head, and an
// Interceptor wraps a Dispatch in another (aiohttp's client middlewares, undici's compose, in
// promise form). Redirects, cookies, decompression, retries and deadlines are interceptors; an
// agent (origin → pool → connection) or a mock is the innermost Dispatch.
import type { ConnectionOptions } from 'node:tls'
import { InvalidArgumentError } from './errors.js'
import type { HttpRequest, HttpResponseHead } from './connection.js'
import type { Timeouts } from './timeouts.js'

/** TLS settings of a request: node's tls options plus a certificate pin and a verify switch. */
export type TlsOptions = ConnectionOptions & {
  /**
   * sha256 of the server certificate's DER, hex (':' separators allowed); a mismatch →
   * FingerprintMismatchError before any request byte is written.
   * @default null
   */
  fingerprint?: string | null
  /**
   * Verify the server certificate against the trusted CAs (wins over `rejectUnauthorized`).
   * @default true
   */
  verify?: boolean
}

/** One request as a dispatcher receives it: an HttpRequest plus where and how to send it. */
export interface DispatchRequest extends HttpRequest {
  /** As URL.origin: 'https://example.com', 'http://h:8080'. */
  readonly origin: string
  /** TLS settings for an https origin. Pools are keyed by their content, never their identity. */
  readonly tls?: TlsOptions | null
  /** Timeouts of this request (sockConnect, poolAcquire); the dispatcher's own when absent. */
  readonly timeouts?: Timeouts
  readonly http2?: boolean | 'auto'
  /** A proxy, in what the proxy layer accepts. */
  readonly proxy?: unknown
}

/** Sends one request; resolves with the response head once it arrived (the body follows). */
export type Dispatch = (req: DispatchRequest) => Promise<HttpResponseHead>

/** Wraps a Dispatch: may change the request, the response, retry, or answer by itself. */
export type Interceptor = (next: Dispatch) => Dispatch

/** Something that dispatches and can be closed (an Agent, a mock, a composed stack). */
export interface Dispatcher {
  readonly dispatch: Dispatch
  close(): Promise<void>
}

/**
 * One Dispatch from a dispatch and interceptors; the first interceptor is the outermost (it sees
 * the request first and the response last).
 *
 * @example
 * const addHeader: Interceptor = (next) => (req) => next({ ...req, headers: [...req.headers, 'x-trace', '1'] })
 * const send = compose(agent.dispatch, addHeader)
 */
export function compose(dispatch: Dispatch, ...interceptors: Interceptor[]): Dispatch {
  if (typeof dispatch !== 'function') throw new InvalidArgumentError('compose needs a dispatch function')
  let out = dispatch
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const wrap = interceptors[i]
    if (typeof wrap !== 'function') throw new InvalidArgumentError(`interceptor ${i} is not a function`)
    out = wrap(out)
    if (typeof out !== 'function') throw new InvalidArgumentError(`interceptor ${i} did not return a dispatch function`)
  }
  return out
}
