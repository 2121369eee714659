// The retry interceptor: a request answered with a listed status, or failed by the network
// before any response (connect errors, a closed connection, connect/read timeouts), is sent again
// after a backoff, up to `limit` more times — only for the listed methods (idempotent ones by
// default) and only when its body can be sent again. Retry-After (seconds or an HTTP-date) wins
// over the backoff; one longer than maxDelay means no retry. The body of a retried response is
// drained or cancelled. An abort during the wait ends it at once.
import {
  ConnectError,
  ConnectionClosedError,
  ConnectTimeoutError,
  InvalidArgumentError,
  isStreamBody,
  ReadTimeoutError,
  type Dispatch,
  type DispatchRequest,
  type HttpResponseHead,
  type Interceptor,
} from '@sonic/core'
import type { ClientRequest } from './client-request.js'
import { wait } from './wait.js'

export interface RetryOptions {
  /**
   * Most retries after the first attempt.
   * @default 2
   */
  limit?: number
  /**
   * Methods retried (upper case). A method not listed is never retried.
   * @default ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']
   */
  methods?: readonly string[]
  /**
   * Response statuses retried.
   * @default [408, 413, 429, 500, 502, 503, 504]
   */
  statusCodes?: readonly number[]
  /**
   * ms to wait before retry number `attempt` (1 for the first retry), capped at maxDelay.
   * @default exponential with full jitter: random × min(maxDelay, 1000 × 2^(attempt-1))
   */
  backoff?: (attempt: number) => number
  /**
   * Longest wait (ms); a Retry-After longer than this means no retry.
   * @default 30000
   */
  maxDelay?: number
}

/** What `retry` accepts: options, a limit, `true` (the defaults) or `false` / `0` (off). */
export type RetryInit = RetryOptions | number | boolean

/** Retry settings, checked once. */
export interface RetryPolicy {
  readonly limit: number
  readonly methods: ReadonlySet<string>
  readonly statusCodes: ReadonlySet<number>
  readonly backoff: (attempt: number) => number
  readonly maxDelay: number
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']
const DEFAULT_STATUS_CODES = [408, 413, 429, 500, 502, 503, 504]

/** Checks and freezes `init`; null when it turns retries off. */
export function retryPolicy(init: RetryInit | null | undefined): RetryPolicy | null {
  if (init === undefined || init === null || init === false || init === 0) return null
  const opts: RetryOptions = init === true ? {} : typeof init === 'number' ? { limit: init } : init
  if (typeof opts !== 'object') throw new InvalidArgumentError('retry must be an object, a number, true or false')
  const limit = opts.limit ?? 2
  if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError('retry.limit must be a non-negative integer')
  if (limit === 0) return null
  const maxDelay = opts.maxDelay ?? 30000
  if (typeof maxDelay !== 'number' || !(maxDelay >= 0) || !Number.isFinite(maxDelay)) throw new InvalidArgumentError('retry.maxDelay must be a finite number of ms ≥ 0')
  const methods = opts.methods ?? DEFAULT_METHODS
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string')) throw new InvalidArgumentError('retry.methods must be an array of method names')
  const statusCodes = opts.statusCodes ?? DEFAULT_STATUS_CODES
  if (!Array.isArray(statusCodes) || !statusCodes.every((s) => Number.isInteger(s))) throw new InvalidArgumentError('retry.statusCodes must be an array of status codes')
  const backoff = opts.backoff ?? ((attempt: number) => Math.random() * Math.min(maxDelay, 1000 * 2 ** (attempt - 1)))
  if (typeof backoff !== 'function') throw new InvalidArgumentError('retry.backoff must be a function (attempt) => ms')
  return Object.freeze({
    limit,
    methods: new Set(methods.map((m) => m.toUpperCase())),
    statusCodes: new Set(statusCodes),
    backoff,
    maxDelay,
  })
}

/**
 * Retries failed requests (see RetryOptions). In an HTTPClient the request's `retry` option (or
 * the client's) decides; a request from elsewhere uses `options`.
 * @example const send = compose(agent.dispatch, retry({ limit: 3, statusCodes: [503] }))
 */
export function retry(options: RetryInit = true): Interceptor {
  const fallback = retryPolicy(options)
  return (next) => (req) => {
    const policy = (req as Partial<ClientRequest>).policy
    const r = policy === undefined ? fallback : (policy.retry ?? null)
    return r === null || !r.methods.has(req.method) || !canResend(req) ? next(req) : attempts(next, req, r)
  }
}

/** A body that cannot be sent twice (a one-shot stream) makes the first outcome the last. */
function canResend(req: DispatchRequest): boolean {
  const body = req.body
  if (body === null) return true
  if ((req as Partial<ClientRequest>).replayable === false) return false
  return !isStreamBody(body) || body.replayable
}

async function attempts(next: Dispatch, req: DispatchRequest, r: RetryPolicy): Promise<HttpResponseHead> {
  const deadline = (req as Partial<ClientRequest>).deadline ?? null
  const signal = req.signal ?? null
  for (let attempt = 1; ; attempt++) {
    let head: HttpResponseHead
    try {
      head = await next(req)
    } catch (err) {
      if (attempt > r.limit || !isNetworkFailure(err) || signal?.aborted === true || deadline?.fired === true) throw err
      const delay = clamp(r.backoff(attempt), r.maxDelay)
      if (deadline !== null && delay >= deadline.remaining()) throw err
      await wait(delay, signal)
      continue
    }
    if (attempt > r.limit || !r.statusCodes.has(head.status)) return head
    const after = retryAfter(head.headers.get('retry-after'))
    if (after !== null && after > r.maxDelay) return head
    const delay = after ?? clamp(r.backoff(attempt), r.maxDelay)
    if (deadline !== null && delay >= deadline.remaining()) return head
    await head.body.cancel().catch(() => {})
    await wait(delay, signal)
  }
}

function clamp(ms: number, max: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, max) : 0
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH'])

/** A failure before any response: worth another try. */
function isNetworkFailure(err: unknown): boolean {
  if (err instanceof ConnectError || err instanceof ConnectTimeoutError || err instanceof ReadTimeoutError || err instanceof ConnectionClosedError) return true
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && NETWORK_CODES.has(code)
}

/** Retry-After in ms (delta-seconds or an HTTP-date), or null when absent or unreadable. */
export function retryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

