// The requestTimeout of one request() call: one timer for the whole redirect chain and the body.
// When it fires it destroys the connection the request is using (a pending acquire is bounded
// by the time left, passed to the pool).
import { RequestTimeoutError, type HttpConnection } from '@sonic/core'

function fire(d: Deadline): void {
  d.expire()
}

export class Deadline {
  readonly ms: number
  readonly #end: number
  #timer: NodeJS.Timeout | null
  #error: RequestTimeoutError | null = null
  #conn: HttpConnection | null = null

  constructor(ms: number) {
    this.ms = ms
    this.#end = performance.now() + ms
    // A pending request is kept alive by its socket; an abandoned response must not pin the process.
    this.#timer = setTimeout(fire, ms, this).unref()
  }

  get fired(): boolean {
    return this.#error !== null
  }

  /** ms left, at least 1 (for bounding a pool acquire). */
  remaining(): number {
    const left = Math.ceil(this.#end - performance.now())
    return left > 1 ? left : 1
  }

  /** @internal timer callback */
  expire(): void {
    this.#timer = null
    const err = this.error()
    if (this.#conn !== null) this.#conn.destroy(err)
  }

  /** The timeout error (created once). */
  error(): RequestTimeoutError {
    if (this.#error === null) this.#error = new RequestTimeoutError(`Request did not complete within ${this.ms} ms`, this.ms)
    return this.#error
  }

  /** The connection the request is using now (destroyed if the deadline fires). */
  use(conn: HttpConnection | null): void {
    this.#conn = conn
    if (conn !== null && this.#error !== null) conn.destroy(this.#error)
  }

  /** The error to surface: the timeout when it fired, else `err`. */
  map(err: unknown): unknown {
    return this.#error ?? err
  }

  clear(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    this.#conn = null
  }
}
