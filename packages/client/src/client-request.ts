// The request HTTPClient dispatches: a DispatchRequest plus what its own interceptors read
// (redirect policy, body limits, the deadline). A user interceptor that spreads the request
// (`next({ ...req, headers })`) keeps these fields; one that builds a new request gets the
// interceptors' defaults.
import type { DispatchRequest, HttpResponseHead, Progress, Timeouts } from '@sonic/core'
import type { Deadline } from './deadline.js'
import type { Proxy, ProxyFor } from './proxy-option.js'
import type { BodyLimits } from './normalize-request.js'
import type { RetryPolicy } from './retry.js'

/**
 * What HTTPClient's interceptors read of a request, in one object: the client's own default
 * object is shared by every request that overrides none of it.
 */
export interface RequestPolicy {
  /** Follow redirects (the redirect interceptor's switch). */
  readonly follow: boolean
  readonly maxRedirects: number
  /** Bounds on the decoded body. */
  readonly limits: BodyLimits
  /** Undo Content-Encoding (the decompress interceptor's switch). */
  readonly decompress: boolean
  /** Called as response body bytes arrive. */
  readonly onDownloadProgress: ((p: Progress) => void) | null
  /** The proxy of each hop's URL (null: always direct). */
  readonly proxyFor: ProxyFor | null
  /** A status ≥ 400 → HttpStatusError (the raiseForStatus interceptor's switch); absent: off. */
  readonly raiseForStatus?: boolean
  /** Retry settings (the retry interceptor's); null or absent: no retries. */
  readonly retry?: RetryPolicy | null
}

/**
 * The request HTTPClient dispatches. It stays at 18 fields: V8 copies an object of up to 18
 * with its fast path, so `{ ...req, headers }` in an interceptor costs ~0.1 µs (~0.7 µs past it).
 */
export interface ClientRequest extends DispatchRequest {
  /** The full URL of this hop (credentials removed). */
  readonly href: string
  readonly timeouts: Timeouts
  /** The body may be sent again (a redirect with 307/308, a retry). */
  readonly replayable: boolean
  readonly policy: RequestPolicy
  /** The proxy this hop goes through, or null. */
  readonly proxy: Proxy | null
  /** The requestTimeout of the whole call, set by the deadline interceptor. */
  readonly deadline: Deadline | null
}

/** A response head as the redirect interceptor returns it: with the URL it answers and the hops before. */
export interface ClientResponseHead extends HttpResponseHead {
  /** The URL this response answers (after redirects). */
  readonly url?: string
  /** Earlier hops of a followed redirect chain, oldest first (bodies released). */
  readonly history?: readonly ClientResponseHead[]
}

/** The full URL of a request: its `href` when it has one, else origin + path. */
export function hrefOf(req: DispatchRequest): string {
  const href = (req as Partial<ClientRequest>).href
  return href !== undefined ? href : req.origin + req.path
}

/** The same head with another body reader. */
export function withBody<H extends HttpResponseHead>(head: H, body: HttpResponseHead['body']): H {
  return { ...head, body }
}
