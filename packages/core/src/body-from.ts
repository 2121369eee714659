// A BodyReader over bytes, a string or an async iterable: the body of a response that did not
// come from a connection (a cache, a mock, a test).
import { InvalidArgumentError } from './errors.js'
import type { BodyReader } from './body.js'

const EMPTY = new Uint8Array(0)

class BytesReader implements BodyReader {
  readonly length: number
  #bytes: Uint8Array | null

  constructor(bytes: Uint8Array) {
    this.length = bytes.length
    this.#bytes = bytes
  }

  read(): Promise<Uint8Array | null> {
    const b = this.#bytes
    this.#bytes = null
    return Promise.resolve(b === null || b.length === 0 ? null : b)
  }

  readAll(): Promise<Uint8Array> {
    const b = this.#bytes
    this.#bytes = null
    return Promise.resolve(b ?? EMPTY)
  }

  cancel(): Promise<void> {
    this.#bytes = null
    return Promise.resolve()
  }
}

class IterableReader implements BodyReader {
  readonly length: number | null
  readonly #it: AsyncIterator<Uint8Array | string>
  #done = false

  constructor(source: AsyncIterable<Uint8Array | string>, length: number | null) {
    this.length = length
    this.#it = source[Symbol.asyncIterator]()
  }

  async read(): Promise<Uint8Array | null> {
    while (!this.#done) {
      const r = await this.#it.next()
      if (r.done === true) {
        this.#done = true
        break
      }
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value
      if (!(chunk instanceof Uint8Array)) {
        this.#done = true
        throw new InvalidArgumentError('bodyFrom: an async iterable body may yield only Uint8Array or string chunks')
      }
      if (chunk.length > 0) return chunk
    }
    return null
  }

  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    let total = 0
    for (let c = await this.read(); c !== null; c = await this.read()) {
      chunks.push(c)
      total += c.length
    }
    if (chunks.length === 1) return chunks[0]!
    return chunks.length === 0 ? EMPTY : Buffer.concat(chunks, total)
  }

  async cancel(): Promise<void> {
    if (this.#done) return
    this.#done = true
    await this.#it.return?.(undefined)
  }
}

/**
 * A BodyReader for a synthetic response: bytes, a string (sent as UTF-8) or an async iterable of
 * chunks (cancel() returns the iterator). `length` defaults to the byte length when known.
 *
 * @example
 * const head = { status: 200, statusText: 'OK', httpVersion: '1.1', headers: new HttpHeaders(), chunked: false, body: bodyFrom('cached') }
 */
export function bodyFrom(source: Uint8Array | string | AsyncIterable<Uint8Array | string>, length?: number | null): BodyReader {
  if (typeof source === 'string') return new BytesReader(Buffer.from(source, 'utf8'))
  if (source instanceof Uint8Array) return new BytesReader(source)
  if (source !== null && typeof source === 'object' && typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return new IterableReader(source, length ?? null)
  }
  throw new InvalidArgumentError('bodyFrom takes a Uint8Array, a string or an async iterable of chunks')
}
