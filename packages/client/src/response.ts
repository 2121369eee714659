// The response users hold: head fields, lazily built conveniences, and one-shot body reading that
// gives the connection back to the pool as soon as the body is done.
import { BodyUsedError, ResponseTooLargeError, type BodyReader, type HttpHeaders, type HttpResponseHead, type Progress } from '@sonic/core'
import { decodeAll, decodeStream, parseContentEncoding } from './decode-body.js'
import type { BodyLimits } from './normalize-request.js'

/** What the client hands a response so it can finish the exchange. */
export interface BodyControl {
  /** Called once: true when the connection may go back to the pool (body read or cancelled cleanly), false when it failed. */
  done(ok: boolean): void
  /** Maps an error from the connection (e.g. after a request timeout fired) to the one to throw. */
  mapError(err: unknown): unknown
  onDownloadProgress: ((p: Progress) => void) | null
  /** Bounds on the body (maxResponseSize, maxDecompressionRatio). */
  limits: BodyLimits
}

type ReaderWithAll = BodyReader & { readAll?: () => Promise<Uint8Array> }

const EMPTY = new Uint8Array(0)

/** The reader of a body that is known to be empty and already finished. */
const EMPTY_READER: ReaderWithAll = {
  length: 0,
  read: () => Promise.resolve(null),
  readAll: () => Promise.resolve(EMPTY),
  cancel: () => Promise.resolve(),
}

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
  /** Final URL after redirects. */
  url: string
  /** Earlier hops of a followed redirect chain, oldest first. */
  history: HttpResponse[] = []
  #reader: ReaderWithAll
  #control: BodyControl
  /** Set when the body failed to decode: the connection is discarded, not reused. */
  #corrupt = false
  #used = false
  #finished = false
  #stream: ReadableStream<Uint8Array> | null = null
  #cookies: Map<string, string> | null = null

  /** @internal built by the client */
  constructor(head: HttpResponseHead, url: string, control: BodyControl) {
    this.status = head.status
    this.statusText = head.statusText
    this.httpVersion = head.httpVersion
    this.headers = head.headers
    this.chunked = head.chunked
    this.url = url
    this.#reader = head.body as ReaderWithAll
    this.#control = control
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
   * @internal For responses without a body (HEAD, 204, 304, Content-Length: 0): completes the
   * exchange at once so the connection goes back to the pool; the body still reads as empty.
   */
  async settleEmpty(): Promise<void> {
    const reader = this.#reader
    this.#reader = EMPTY_READER
    try {
      while ((await reader.read()) !== null) {
        // a body that was announced empty has none; anything else is discarded
      }
      this.#finish(true)
    } catch (err) {
      this.#finish(false)
      throw this.#control.mapError(err)
    }
  }

  /** True once the body was read, released or is being read. */
  get bodyUsed(): boolean {
    return this.#used
  }

  #take(): void {
    if (this.#used) throw new BodyUsedError()
    this.#used = true
  }

  #finish(ok: boolean): void {
    if (this.#finished) return
    this.#finished = true
    this.#control.done(ok)
  }

  async #readRaw(max: number | null): Promise<Uint8Array> {
    const reader = this.#reader
    const progress = this.#control.onDownloadProgress
    try {
      let data: Uint8Array
      if (max !== null && reader.length !== null && reader.length > max) {
        // Declared too large: not a byte is read, and the connection is discarded (below).
        await reader.cancel().catch(() => {})
        throw new ResponseTooLargeError(max, { part: 'body' })
      }
      if (progress === null && reader.readAll !== undefined && (max === null || reader.length !== null)) {
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
            await reader.cancel().catch(() => {})
            throw new ResponseTooLargeError(max, { part: 'body' })
          }
          if (progress !== null) progress(length === undefined ? { loaded: total } : { loaded: total, total: length })
        }
        data = total === 0 ? EMPTY : concat(chunks, total)
      }
      this.#finish(true)
      return data
    } catch (err) {
      this.#finish(false)
      throw this.#control.mapError(err)
    }
  }

  /** The whole body, decompressed. */
  async bytes(): Promise<Uint8Array> {
    this.#take()
    const codings = parseContentEncoding(this.headers.get('content-encoding'))
    const limits = this.#control.limits
    // A raw body is bounded while it is read; a compressed one by what it decodes to.
    const raw = await this.#readRaw(codings === null ? limits.maxResponseSize : null)
    if (codings === null) return raw
    try {
      return await decodeAll(raw, codings, limits)
    } catch (err) {
      throw this.#control.mapError(err)
    }
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

  /** The body parsed as JSON (or with `decoder`, which receives the text). */
  async json<T = unknown>(decoder: (text: string) => unknown = JSON.parse): Promise<T> {
    return decoder(await this.text()) as T
  }

  async *#rawChunks(max: number | null): AsyncGenerator<Uint8Array> {
    const reader = this.#reader
    const progress = this.#control.onDownloadProgress
    const length = reader.length ?? undefined
    let loaded = 0
    let ok = false
    let errored = false
    try {
      for (;;) {
        let c: Uint8Array | null
        try {
          c = await reader.read()
        } catch (err) {
          errored = true
          throw this.#control.mapError(err)
        }
        if (c === null) break
        loaded += c.length
        // Too large: stop here; the finally below drains or closes the connection.
        if (max !== null && loaded > max) throw this.#control.mapError(new ResponseTooLargeError(max, { part: 'body' }))
        if (progress !== null) progress(length === undefined ? { loaded } : { loaded, total: length })
        yield c
      }
      ok = true
    } finally {
      if (ok) this.#finish(true)
      else if (errored) this.#finish(false)
      else {
        // Stopped early: discard the rest; the reader drains (keeps) or destroys the connection.
        // A body that failed to decode is not trusted to leave the connection clean.
        let cancelled = !this.#corrupt
        await reader.cancel().catch(() => {
          cancelled = false
        })
        this.#finish(cancelled)
      }
    }
  }

  /** Streams the decompressed body with backpressure. Breaking out early releases the connection. */
  readChunks(): AsyncGenerator<Uint8Array> {
    this.#take()
    const codings = parseContentEncoding(this.headers.get('content-encoding'))
    const limits = this.#control.limits
    if (codings === null) return this.#rawChunks(limits.maxResponseSize)
    return decodeStream(this.#rawChunks(null), codings, limits, () => (this.#corrupt = true))
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
    let cancelled = false
    try {
      await this.#reader.cancel()
      cancelled = true
    } finally {
      this.#finish(cancelled)
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release()
  }

  get [Symbol.toStringTag](): string {
    return 'HttpResponse'
  }
}
