// The response users hold: head fields, lazily built conveniences, and one-shot body reading that
// gives the connection back to the pool as soon as the body is done.
import { attachRequest, BodyUsedError, HttpHeaders, InvalidArgumentError, ResponseTooLargeError, type BodyReader, type HttpResponseHead, type Progress } from '@sonic/core'
import { DecodedBody } from './decompress.js'
import type { BodyLimits } from './normalize-request.js'
import type { ResponseTimings } from './timings.js'

/** What the client tells a response about reading its body. */
export interface ResponseOptions {
  readonly onDownloadProgress: ((p: Progress) => void) | null
  /** Bounds on the body (maxResponseSize; a decoding body enforces both limits itself). */
  readonly limits: BodyLimits
}

/** Told when a body read starts and ends (HTTPClient.waitRequests() waits for bodies being read). */
export interface BodyReads {
  started(): void
  ended(): void
}

const EMPTY = new Uint8Array(0)

/** Most characters of a body shown in the error of json(). */
const PREVIEW = 200

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = Buffer.allocUnsafe(total)
  let off = 0
  for (const c of chunks) {
    out.set(c, off)
    off += c.length
  }
  return out
}

function charsetOf(contentType: string | null): string {
  if (contentType === null || !/charset/i.test(contentType)) return 'utf-8'
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)
  return m === null ? 'utf-8' : m[1]!.toLowerCase()
}

const decoders = new Map<string, TextDecoder>()
/** Decodes with the named charset (utf-8 through Buffer's native path); unknown labels fall back to utf-8. */
function decodeText(data: Uint8Array, label: string): string {
  if (label === 'utf-8' || label === 'utf8') {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    // TextDecoder drops a leading BOM; so does fetch's text(). Keep that behaviour.
    return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.toString('utf8', 3) : buf.toString('utf8')
  }
  let d = decoders.get(label)
  if (d === undefined) {
    try {
      d = new TextDecoder(label)
    } catch {
      d = new TextDecoder('utf-8')
    }
    if (decoders.size < 32) decoders.set(label, d)
  }
  return d.decode(data)
}

export class HttpResponse {
  readonly status: number
  readonly statusText: string
  readonly httpVersion: '1.0' | '1.1' | '2'
  readonly headers: HttpHeaders
  /** The response used chunked transfer-encoding. */
  readonly chunked: boolean
  /**
   * When each phase ended, in ms from the start of the request (of this hop); `end` is set once
   * the body is read. Null when the dispatcher does not report them (a mock, a custom one).
   */
  readonly timings: ResponseTimings | null
  /** The connection had carried a request before this one (kept alive). */
  readonly reused: boolean
  /** Final URL after redirects. */
  url: string
  /** Earlier hops of a followed redirect chain, oldest first. */
  history: HttpResponse[] = []
  #reader: BodyReader
  #opts: ResponseOptions
  readonly #method: string
  readonly #reads: BodyReads | null
  #used = false
  #finished = false
  #stream: ReadableStream<Uint8Array> | null = null
  #cookies: Map<string, string> | null = null
  #noTrailers: HttpHeaders | null = null

  /** @internal built by the client */
  constructor(head: HttpResponseHead, url: string, method: string, opts: ResponseOptions, reads: BodyReads | null = null) {
    this.status = head.status
    this.statusText = head.statusText
    this.httpVersion = head.httpVersion
    this.headers = head.headers
    this.chunked = head.chunked
    const h = head as { timings?: ResponseTimings; reused?: boolean }
    this.timings = h.timings ?? null
    this.reused = h.reused === true
    this.url = url
    this.#reader = head.body
    this.#method = method
    this.#opts = opts
    this.#reads = reads
  }

  /** True for 2xx statuses. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300
  }

  /** Headers as received: [name, value] pairs in order. */
  get rawHeaders(): [string, string][] {
    return [...this.headers.entries()]
  }

  /** Set-Cookie name → value of this response. */
  get cookies(): Map<string, string> {
    if (this.#cookies === null) {
      const map = new Map<string, string>()
      for (const line of this.headers.getAll('set-cookie')) {
        const pair = line.split(';', 1)[0]!
        const eq = pair.indexOf('=')
        if (eq <= 0) continue
        map.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
      }
      this.#cookies = map
    }
    return this.#cookies
  }

  /**
   * The trailer fields the server sent after the body (HTTP/1.1 chunked trailers, HTTP/2
   * trailers), filled once the body has been read to its end (text(), json(), bytes(), the last
   * chunk of readChunks() or `body`); empty before that and when the server sent none.
   *
   * @example
   * ```ts
   * import { HTTPClient } from '@sonic/client'
   *
   * const client = new HTTPClient()
   * const res = await client.get('http://127.0.0.1:8080/report')
   * const text = await res.text()
   * console.log(text.length, res.trailers.get('x-checksum'))
   * await client.close()
   * ```
   */
  get trailers(): HttpHeaders {
    // Only once the read is over: an HTTP/2 stream may have them before its data is read.
    const trailers = this.#finished ? this.#reader.trailers : null
    if (trailers !== undefined && trailers !== null) return trailers
    return (this.#noTrailers ??= new HttpHeaders())
  }

  /** True once the body was read, released or is being read. */
  get bodyUsed(): boolean {
    return this.#used
  }

  #take(): void {
    if (this.#used) throw new BodyUsedError()
    this.#used = true
  }

  #finish(): void {
    this.#finished = true
  }

  #mapError(err: unknown): unknown {
    return attachRequest(err, this.#method, this.url)
  }

  async #readRaw(max: number | null): Promise<Uint8Array> {
    const reader = this.#reader
    const progress = this.#opts.onDownloadProgress
    const reads = this.#reads
    reads?.started()
    try {
      let data: Uint8Array
      if (max !== null && reader.length !== null && reader.length > max) {
        // Declared too large: not a byte is read, and the connection is discarded (an Error as
        // the reason tells the pool not to keep it).
        const err = new ResponseTooLargeError(max, { part: 'body' })
        await reader.cancel(err).catch(() => {})
        throw err
      }
      if (progress === null && (max === null || reader.length !== null || reader instanceof DecodedBody)) {
        data = await reader.readAll()
      } else {
        const chunks: Uint8Array[] = []
        let total = 0
        const length = reader.length ?? undefined
        for (;;) {
          const c = await reader.read()
          if (c === null) break
          chunks.push(c)
          total += c.length
          if (max !== null && total > max) {
            const err = new ResponseTooLargeError(max, { part: 'body' })
            await reader.cancel(err).catch(() => {})
            throw err
          }
          if (progress !== null) progress(length === undefined ? { loaded: total } : { loaded: total, total: length })
        }
        data = total === 0 ? EMPTY : concat(chunks, total)
      }
      this.#finish()
      return data
    } catch (err) {
      this.#finish()
      throw this.#mapError(err)
    } finally {
      reads?.ended()
    }
  }

  /** The whole body, decompressed (by the client's decompress interceptor). */
  bytes(): Promise<Uint8Array> {
    try {
      this.#take()
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#readRaw(this.#opts.limits.maxResponseSize)
  }

  /** The body as an ArrayBuffer (fetch compatibility). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.bytes()
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
  }

  /** The body decoded as text: `encoding`, else the content-type charset, else utf-8. */
  async text(encoding?: string): Promise<string> {
    const data = await this.bytes()
    return decodeText(data, (encoding ?? charsetOf(this.headers.get('content-type'))).toLowerCase())
  }

  /**
   * The body parsed as JSON (or with `decoder`, which receives the text). A body that does not
   * parse (a SyntaxError) → InvalidArgumentError naming the status and the body's first 200
   * characters, the SyntaxError as `cause`.
   */
  async json<T = unknown>(decoder: (text: string) => unknown = JSON.parse): Promise<T> {
    const text = await this.text()
    try {
      return decoder(text) as T
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err
      const preview = text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text
      const reason = err.message
      throw this.#mapError(
        new InvalidArgumentError(`The response body is not JSON (status ${this.status}: ${reason}): ${JSON.stringify(preview)}`, { cause: err }),
      )
    }
  }

  async *#rawChunks(max: number | null): AsyncGenerator<Uint8Array> {
    const reader = this.#reader
    const progress = this.#opts.onDownloadProgress
    const length = reader.length ?? undefined
    let loaded = 0
    let ok = false
    let errored = false
    const reads = this.#reads
    reads?.started()
    try {
      for (;;) {
        let c: Uint8Array | null
        try {
          c = await reader.read()
        } catch (err) {
          errored = true
          throw this.#mapError(err)
        }
        if (c === null) break
        loaded += c.length
        // Too large: stop here; the finally below drains or closes the connection.
        if (max !== null && loaded > max) throw this.#mapError(new ResponseTooLargeError(max, { part: 'body' }))
        if (progress !== null) progress(length === undefined ? { loaded } : { loaded, total: length })
        yield c
      }
      ok = true
    } finally {
      // Stopped early: discard the rest; the reader drains (keeps) or destroys the connection.
      if (!ok && !errored) await reader.cancel().catch(() => {})
      this.#finish()
      reads?.ended()
    }
  }

  /** Streams the decompressed body with backpressure. Breaking out early releases the connection. */
  readChunks(): AsyncGenerator<Uint8Array> {
    this.#take()
    return this.#rawChunks(this.#opts.limits.maxResponseSize)
  }

  /** A web ReadableStream of the decompressed body, created on first access. */
  get body(): ReadableStream<Uint8Array> {
    if (this.#stream === null) {
      const it = this.readChunks()
      this.#stream = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          const r = await it.next()
          if (r.done) ctrl.close()
          else ctrl.enqueue(r.value)
        },
        async cancel() {
          await it.return(undefined)
        },
      })
    }
    return this.#stream
  }

  /** Discards the rest of the body and returns the connection to the pool. */
  async release(): Promise<void> {
    if (this.#finished) return
    if (this.#used) {
      if (this.#stream !== null) await this.#stream.cancel().catch(() => {})
      return
    }
    this.#used = true
    try {
      await this.#reader.cancel()
    } finally {
      this.#finish()
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release()
  }

  get [Symbol.toStringTag](): string {
    return 'HttpResponse'
  }
}
