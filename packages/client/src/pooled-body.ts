// The body of a response head from an Agent: it gives its connection back to the pool when it
// ends, and tells the request's deadline. One small object per response, no closures.
import type { BodyReader, HttpConnection, HttpHeaders, HttpResponseHead } from '@sonic/core'
import type { Pool } from '@sonic/pool'
import type { Deadline } from './deadline.js'
import { isHttp2Session } from './http2-agent.js'
import type { RequestTimings } from './timings.js'

/** @internal A head from an Agent: with the request's timings and whether its connection was reused. */
export interface AgentResponseHead extends HttpResponseHead {
  readonly timings: RequestTimings
  readonly reused: boolean
}

const EMPTY = new Uint8Array(0)

/**
 * Back to the pool: kept when it ended cleanly, else destroyed — except an HTTP/2 session, which a
 * failed stream leaves alone (its other streams go on; the pool drops it once it is closed and
 * its last stream is back, e.g. after a GOAWAY).
 */
export function giveBack(pool: Pool<HttpConnection>, conn: HttpConnection, ok: boolean): void {
  if (ok || isHttp2Session(conn)) pool.release(conn)
  else pool.discard(conn)
}

/** The same head with another body reader, the timings and reuse (a plain object of the head's fields). */
export function withHeadBody(head: HttpResponseHead, body: BodyReader, timings: RequestTimings, reused: boolean): AgentResponseHead {
  return { status: head.status, statusText: head.statusText, httpVersion: head.httpVersion, headers: head.headers, chunked: head.chunked, body, timings, reused }
}

/** The body of a response that has none (HEAD, 204, 304, Content-Length: 0). */
export const EMPTY_BODY: BodyReader = Object.freeze({
  length: 0,
  read: () => Promise.resolve(null),
  readAll: () => Promise.resolve(EMPTY),
  cancel: () => Promise.resolve(),
})

/**
 * A response body that gives its connection back when it ends: to the pool when read to the end
 * or cancelled cleanly, destroyed when it failed or was cancelled with an Error as the reason
 * (e.g. a body that did not decode: its framing is not trusted). It also tells the request's
 * deadline that the body ended, and reports a failure after expiry as the timeout.
 */
export class PooledBody implements BodyReader {
  readonly length: number | null
  readonly #inner: BodyReader
  #pool: Pool<HttpConnection> | null
  readonly #conn: HttpConnection
  readonly #deadline: Deadline | null
  readonly #timings: RequestTimings | null

  constructor(inner: BodyReader, pool: Pool<HttpConnection>, conn: HttpConnection, deadline: Deadline | null, timings: RequestTimings | null = null) {
    this.length = inner.length
    this.#inner = inner
    this.#pool = pool
    this.#conn = conn
    this.#deadline = deadline
    this.#timings = timings
  }

  /** The inner reader's trailer fields (set once its end is read); null when none. */
  get trailers(): HttpHeaders | null {
    return this.#inner.trailers ?? null
  }

  async read(): Promise<Uint8Array | null> {
    let chunk: Uint8Array | null
    try {
      chunk = await this.#inner.read()
    } catch (err) {
      this.#end(false)
      throw this.#deadline === null ? err : this.#deadline.map(err)
    }
    if (chunk === null) this.#end(true)
    return chunk
  }

  async readAll(): Promise<Uint8Array> {
    let all: Uint8Array
    try {
      all = await this.#inner.readAll()
    } catch (err) {
      this.#end(false)
      throw this.#deadline === null ? err : this.#deadline.map(err)
    }
    this.#end(true)
    return all
  }

  async cancel(reason?: unknown): Promise<void> {
    if (this.#pool === null) return
    let ok = !(reason instanceof Error)
    try {
      await this.#inner.cancel(reason)
    } catch {
      ok = false
    }
    this.#end(ok)
  }

  #end(ok: boolean): void {
    const pool = this.#pool
    if (pool === null) return
    this.#pool = null
    this.#timings?.done()
    this.#deadline?.bodyDone()
    giveBack(pool, this.#conn, ok)
  }
}
