// The pull side of a response body. The connection pushes views of socket chunks (no copies);
// the consumer pulls them with read(). When more than HIGH_WATER_MARK bytes wait unread, push()
// says so and the connection pauses the socket; reading below half of it resumes the socket.
import { constants as bufferConstants } from 'node:buffer'
import { BodyUsedError, ResponseTooLargeError, type BodyReader, type HttpHeaders } from '@sonic/core'

/** Bytes queued unread before the connection stops reading the socket. */
export const HIGH_WATER_MARK = 256 * 1024
const LOW_WATER_MARK = HIGH_WATER_MARK / 2

const EMPTY = new Uint8Array(0)
/** readAll() of a body of known length at least this large copies chunks as they arrive. */
const FILL_MIN = 64 * 1024
/**
 * The most readAll() reserves ahead of the bytes that arrived: a larger declared length is not
 * trusted up front; the buffer doubles (up to the declared length) as bytes arrive past it.
 */
const FILL_STEP = 16 * 1024 * 1024
/** The largest body readAll() can hold in one buffer. */
const MAX_BODY = bufferConstants.MAX_LENGTH

/** What a reader needs from its connection. */
export interface BodySource {
  /** The consumer wants more: resume reading the socket if it was paused for `reader`. */
  resume(reader: Http1BodyReader): void
  /** Discards the rest of `reader`'s body; resolves once the connection is kept or destroyed. */
  discard(reader: Http1BodyReader): Promise<void>
}

/**
 * A response body read from an HTTP/1.1 connection. Chunks are views into the socket's buffers;
 * read them in order with read(), all at once with readAll(), or with `for await`.
 *
 * @example
 * const res = await conn.request(req)
 * for await (const chunk of res.body as Http1BodyReader) process.stdout.write(chunk)
 */
export class Http1BodyReader implements BodyReader, AsyncIterable<Uint8Array> {
  /** Declared Content-Length, or null (chunked or read until close). 0 for responses without a body. */
  readonly length: number | null
  readonly #source: BodySource
  #queue: Uint8Array[] = []
  #head = 0
  #buffered = 0
  /** push() reported the queue full; the connection paused the socket. */
  #full = false
  #ended = false
  /** Trailer fields after the terminating chunk (chunked bodies); null when none came. */
  #trailers: HttpHeaders | null = null
  #error: unknown = null
  #cancelled: Promise<void> | null = null
  #resolve: ((chunk: Uint8Array | null) => void) | null = null
  #reject: ((err: unknown) => void) | null = null
  /** readAll() in progress: collect without backpressure, settle at the end. */
  #collect: { resolve: (bytes: Uint8Array) => void; reject: (err: unknown) => void } | null = null
  /** Body bytes pushed so far (for the size of a readAll() target). */
  #pushed = 0
  /**
   * readAll() of a large body of known length: one buffer of the final size, filled as chunks
   * arrive (while they are still in cache) instead of queued and concatenated at the end.
   */
  #fill: Uint8Array | null = null
  #fillOffset = 0
  /** The size #fill grows to at most: the bytes the declared length still promises. */
  #fillTarget = 0

  /** @internal Created by the connection for each response. */
  constructor(source: BodySource, length: number | null) {
    this.#source = source
    this.length = length
  }

  /** Bytes received and not yet read. */
  get bufferedBytes(): number {
    return this.#buffered
  }

  /**
   * The trailer fields that followed a chunked body (`Trailer:` fields after the terminating
   * chunk). Null until the end of the body has been read (read() returned null, readAll()
   * resolved), and when the server sent none.
   *
   * @example
   * const bytes = await reader.readAll()
   * const digest = reader.trailers?.get('x-checksum') ?? null
   */
  get trailers(): HttpHeaders | null {
    return this.#ended && this.#head === this.#queue.length ? this.#trailers : null
  }

  /** True once the body has been read to the end, failed or was cancelled. */
  get done(): boolean {
    return (this.#ended && this.#head === this.#queue.length) || this.#error !== null || this.#cancelled !== null
  }

  /**
   * @internal Called by the connection with each body view. Returns false when the consumer is
   * behind (more than HIGH_WATER_MARK bytes queued): the connection then pauses the socket.
   */
  push(chunk: Uint8Array): boolean {
    if (this.#cancelled !== null) return true
    this.#pushed += chunk.byteLength
    let fill = this.#fill
    if (fill !== null) {
      if (chunk.byteLength > fill.byteLength - this.#fillOffset && fill.byteLength < this.#fillTarget) fill = this.#grow(chunk.byteLength)
      const n = Math.min(chunk.byteLength, fill.byteLength - this.#fillOffset)
      fill.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), this.#fillOffset)
      this.#fillOffset += n
      return true
    }
    if (this.#collect !== null && this.#buffered + chunk.byteLength > MAX_BODY) {
      this.fail(new ResponseTooLargeError(MAX_BODY, { part: 'body' }))
      return true
    }
    const resolve = this.#resolve
    if (resolve !== null) {
      this.#resolve = null
      this.#reject = null
      resolve(chunk)
      return true
    }
    this.#queue.push(chunk)
    this.#buffered += chunk.byteLength
    if (this.#collect !== null || this.#buffered < HIGH_WATER_MARK) return true
    this.#full = true
    return false
  }

  /** @internal The body is complete, followed by `trailers` (null: none). */
  end(trailers: HttpHeaders | null = null): void {
    if (this.#ended || this.#error !== null) return
    this.#ended = true
    this.#trailers = trailers
    const resolve = this.#resolve
    if (resolve !== null) {
      this.#resolve = null
      this.#reject = null
      resolve(null)
    }
    const collect = this.#collect
    if (collect !== null) {
      this.#collect = null
      const fill = this.#fill
      if (fill !== null) {
        this.#fill = null
        collect.resolve(this.#fillOffset === fill.byteLength ? fill : fill.subarray(0, this.#fillOffset))
      } else collect.resolve(this.#drainQueue())
    }
  }

  /** @internal The body failed; pending and later reads reject with `err`. */
  fail(err: unknown): void {
    if (this.#ended || this.#error !== null || this.#cancelled !== null) return
    this.#error = err
    this.#queue = []
    this.#head = 0
    this.#buffered = 0
    const reject = this.#reject
    if (reject !== null) {
      this.#resolve = null
      this.#reject = null
      reject(err)
    }
    this.#fill = null
    const collect = this.#collect
    if (collect !== null) {
      this.#collect = null
      collect.reject(err)
    }
  }

  /** The next chunk (a view, not a copy), or null at the end. */
  read(): Promise<Uint8Array | null> {
    if (this.#head < this.#queue.length) return Promise.resolve(this.#shift())
    if (this.#error !== null) return Promise.reject(this.#error)
    if (this.#ended || this.#cancelled !== null) return Promise.resolve(null)
    if (this.#resolve !== null || this.#collect !== null) {
      return Promise.reject(new BodyUsedError('A read of this body is already pending'))
    }
    return new Promise<Uint8Array | null>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  /** The whole (rest of the) body as one Uint8Array; no copy when it arrived in one chunk. */
  readAll(): Promise<Uint8Array> {
    if (this.#error !== null) return Promise.reject(this.#error)
    if (this.#resolve !== null || this.#collect !== null) {
      return Promise.reject(new BodyUsedError('A read of this body is already pending'))
    }
    if (this.#cancelled !== null) return Promise.resolve(EMPTY)
    if (this.#ended) return Promise.resolve(this.#drainQueue())
    const length = this.length
    if (length !== null) {
      const total = this.#buffered + (length - this.#pushed)
      if (total > MAX_BODY) return Promise.reject(new ResponseTooLargeError(MAX_BODY, { part: 'body' }))
      if (total >= FILL_MIN) {
        const fill = Buffer.allocUnsafe(Math.min(total, Math.max(FILL_STEP, this.#buffered)))
        this.#fillTarget = total
        let offset = 0
        for (let i = this.#head; i < this.#queue.length; i++) {
          fill.set(this.#queue[i]!, offset)
          offset += this.#queue[i]!.byteLength
        }
        this.#queue = []
        this.#head = 0
        this.#buffered = 0
        this.#fill = fill
        this.#fillOffset = offset
      }
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#collect = { resolve, reject }
      if (this.#full) {
        this.#full = false
        this.#source.resume(this)
      }
    })
  }

  /**
   * Discards the rest of the body. A short rest (< 64 KiB) is drained so the connection stays
   * reusable; a long or unknown one closes the connection. Resolves once that is done.
   */
  cancel(_reason?: unknown): Promise<void> {
    if (this.#cancelled !== null) return this.#cancelled
    const wasDone = this.#ended || this.#error !== null
    this.#fill = null
    this.#queue = []
    this.#head = 0
    this.#buffered = 0
    const resolve = this.#resolve
    if (resolve !== null) {
      this.#resolve = null
      this.#reject = null
      resolve(null)
    }
    this.#cancelled = wasDone ? Promise.resolve() : this.#source.discard(this)
    return this.#cancelled
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    let finished = false
    try {
      for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk
      finished = true
    } finally {
      if (!finished && this.#error === null) await this.cancel()
    }
  }

  /** Doubles #fill (at most to #fillTarget) so that `need` more bytes fit. */
  #grow(need: number): Uint8Array {
    const old = this.#fill!
    const size = Math.min(this.#fillTarget, Math.max(old.byteLength * 2, this.#fillOffset + need))
    const fill = Buffer.allocUnsafe(size)
    fill.set(old.subarray(0, this.#fillOffset), 0)
    this.#fill = fill
    return fill
  }

  #shift(): Uint8Array {
    const chunk = this.#queue[this.#head]!
    this.#head++
    if (this.#head === this.#queue.length) {
      this.#queue = []
      this.#head = 0
    }
    this.#buffered -= chunk.byteLength
    if (this.#full && this.#buffered <= LOW_WATER_MARK) {
      this.#full = false
      this.#source.resume(this)
    }
    return chunk
  }

  #drainQueue(): Uint8Array {
    const queue = this.#queue
    const head = this.#head
    const n = queue.length - head
    const total = this.#buffered
    this.#queue = []
    this.#head = 0
    this.#buffered = 0
    if (n === 0) return EMPTY
    if (n === 1) return queue[head]!
    const out = Buffer.allocUnsafe(total)
    let offset = 0
    for (let i = head; i < queue.length; i++) {
      const chunk = queue[i]!
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  }
}
