// The body of a response head from an Agent: it gives its connection back to the pool when it
// ends, and tells the request's deadline. One small object per response, no closures.
import type { BodyReader, HttpConnection, HttpResponseHead } from '@sonic/core'
import type { Pool } from '@sonic/pool'
import type { Deadline } from './deadline.js'

const EMPTY = new Uint8Array(0)

/** Back to the pool: kept when it ended cleanly (or is shared and still open), else destroyed. */
export function giveBack(pool: Pool<HttpConnection>, conn: HttpConnection, ok: boolean): void {
  if (ok || ((conn.capacity ?? 1) > 1 && !conn.closed)) pool.release(conn)
  else pool.discard(conn)
}

/** The same head with another body reader (a plain object of the head's fields). */
export function withHeadBody(head: HttpResponseHead, body: BodyReader): HttpResponseHead {
  return { status: head.status, statusText: head.statusText, httpVersion: head.httpVersion, headers: head.headers, chunked: head.chunked, body }
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

  constructor(inner: BodyReader, pool: Pool<HttpConnection>, conn: HttpConnection, deadline: Deadline | null) {
    this.length = inner.length
    this.#inner = inner
    this.#pool = pool
    this.#conn = conn
    this.#deadline = deadline
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
    this.#deadline?.bodyDone()
    giveBack(pool, this.#conn, ok)
  }
}
