// The interceptors of a MockAgent: what a request must look like (matchers on origin, path,
// method, query, headers and body), how it is answered, and how often (MockScope).
import { InvalidArgumentError, type HeadersInit } from '@sonic/core'

/** A value matcher: equal to the string, tested by the RegExp, or accepted by the function. */
export type MockMatcher<T = string> = string | RegExp | ((value: T) => boolean)

/** What a request must look like for an interceptor to answer it. */
export interface MockInterceptOptions {
  /** 'http://api.test' (as URL.origin), a RegExp or a function of the origin. */
  origin: MockMatcher
  /**
   * The request target: a string equal to the path with its query ('/users?page=2'), or a RegExp /
   * function tested on it. With `query`, only the part before '?' is matched.
   */
  path: MockMatcher
  /**
   * The method (case-insensitive for a string).
   * @default 'GET'
   */
  method?: MockMatcher
  /** The query, exactly: each key's values in order (a value may be an array); no other keys. */
  query?: Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>
  /** Headers the request must have (names case-insensitive); the function gets undefined when absent. */
  headers?: Record<string, string | RegExp | ((value: string | undefined) => boolean)>
  /** The request body as UTF-8 text. */
  body?: MockMatcher
}

/** A request as the mock saw it: in `mock.calls` and given to a reply function. */
export interface MockRequest {
  readonly method: string
  readonly origin: string
  /** The target with its query: '/users?page=2'. */
  readonly path: string
  /** Header names lower-cased; repeated ones joined with ', '. */
  readonly headers: Readonly<Record<string, string>>
  /** The body as UTF-8 text, or null without one. */
  readonly body: string | null
  /** The body's bytes, or null without one. */
  readonly bytes: Uint8Array | null
}

/** A reply body: text, bytes, null, or anything else as JSON (with `content-type: application/json`). */
export type MockReplyBody = string | Uint8Array | null | undefined | object | number | boolean

/** @internal */
export interface Reply {
  readonly status: number
  readonly body: MockReplyBody | ((req: MockRequest) => MockReplyBody | Promise<MockReplyBody>)
  readonly headers: HeadersInit | undefined
}

/** How often and how an interceptor answers; returned by reply() and replyWithError(). */
export class MockScope {
  /** @internal */ left = 1
  /** @internal */ persisted = false
  /** @internal */ used = 0
  /** @internal */ delayMs = 0

  /** Answers `n` times instead of once. */
  times(n: number): this {
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('times(n) needs a positive integer')
    this.left = n
    return this
  }

  /** Answers every matching request, for ever. */
  persist(): this {
    this.persisted = true
    return this
  }

  /** Waits `ms` before answering (an aborted signal ends the wait with AbortError). */
  delay(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError('delay(ms) needs a non-negative number')
    this.delayMs = ms
    return this
  }
}

/** @internal One registered interceptor. */
export class MockInterceptor {
  readonly scope = new MockScope()
  answer: Reply | Error | null = null

  constructor(readonly match: Readonly<MockInterceptOptions>) {}

  get pending(): boolean {
    return this.answer !== null && (this.scope.persisted ? this.scope.used === 0 : this.scope.left > 0)
  }

  get usable(): boolean {
    return this.answer !== null && (this.scope.persisted || this.scope.left > 0)
  }

  matches(req: MockRequest): boolean {
    const m = this.match
    if (!test(m.origin, req.origin)) return false
    const method = m.method ?? 'GET'
    if (typeof method === 'string' ? method.toUpperCase() !== req.method : !test(method, req.method)) return false
    if (m.query === undefined) {
      if (!test(m.path, req.path)) return false
    } else {
      const q = req.path.indexOf('?')
      if (!test(m.path, q < 0 ? req.path : req.path.slice(0, q)) || !sameQuery(m.query, q < 0 ? '' : req.path.slice(q + 1))) return false
    }
    if (m.headers !== undefined) {
      for (const [name, want] of Object.entries(m.headers)) {
        const have = req.headers[name.toLowerCase()]
        if (typeof want === 'function' ? !want(have) : have === undefined || !test(want, have)) return false
      }
    }
    return m.body === undefined || test(m.body, req.body ?? '')
  }

  describe(): string {
    const m = this.match
    const query = m.query === undefined ? '' : ` query ${JSON.stringify(m.query)}`
    const headers = m.headers === undefined ? '' : ` headers {${Object.entries(m.headers).map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`
    const body = m.body === undefined ? '' : ` body ${show(m.body)}`
    const s = this.scope
    const left = this.answer === null ? 'no reply set' : s.persisted ? `persisted, used ${s.used}×` : s.left === 0 ? 'used up' : `${s.left} left`
    return `${m.method === undefined ? 'GET' : show(m.method)} ${show(m.origin)} ${show(m.path)}${query}${headers}${body} (${left})`
  }
}

export function test(m: MockMatcher, value: string): boolean {
  if (typeof m === 'string') return m === value
  if (m instanceof RegExp) {
    m.lastIndex = 0
    return m.test(value)
  }
  return m(value) === true
}

export function checkMatcher(m: unknown, what: string): MockMatcher {
  if (typeof m === 'string' || m instanceof RegExp || typeof m === 'function') return m as MockMatcher
  throw new InvalidArgumentError(`${what} must be a string, a RegExp or a function`)
}

export function originOf(origin: string): string {
  try {
    return new URL(origin).origin
  } catch (cause) {
    throw new InvalidArgumentError(`Invalid mock origin: ${JSON.stringify(origin)}`, { cause })
  }
}

/** True when the query string has exactly the expected keys, each with the expected values in order. */
function sameQuery(want: NonNullable<MockInterceptOptions['query']>, search: string): boolean {
  const have = new URLSearchParams(search)
  const keys = Object.keys(want)
  if (new Set(have.keys()).size !== keys.length) return false
  for (const k of keys) {
    const v = want[k]!
    const expected = (Array.isArray(v) ? v : [v]).map(String)
    const got = have.getAll(k)
    if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) return false
  }
  return true
}

function show(m: unknown): string {
  if (typeof m === 'string') return m
  if (m instanceof RegExp) return String(m)
  if (typeof m === 'function') return '<function>'
  return String(m)
}
