// One request on one HTTP/2 stream: the upload (respecting the stream's flow control through
// write()/'drain'), the response head, and the body as a pull-based BodyReader (the stream is
// paused while nobody reads, so node:http2 stops sending WINDOW_UPDATE and the server waits).
// Timeouts, aborts and cancel() reset this stream alone (RST_STREAM CANCEL), never the session.
// The handlers are bound once per stream; nothing allocates per chunk.
import { STATUS_CODES } from 'node:http'
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2'
import {
  AbortError,
  ConnectionClosedError,
  Http2Error,
  HttpHeaders,
  ReadTimeoutError,
  type BodyReader,
  type HttpRequest,
  type HttpResponseHead,
  type ProgressCallback,
  type StreamBody,
} from '@sonic/core'
import { CANCEL, REFUSED_STREAM, http2CodeName, markRetryable } from './error-codes.js'

/** Not part of the public API (Http2Connection implements it, so its declaration ships): what an exchange asks of its session. */
export interface ExchangeSession {
  /** The server's GOAWAY, once one arrived. */
  readonly goaway: { readonly code: number; readonly lastStreamId: number } | null
  /** The session is gone (socket closed or destroyed). */
  readonly dead: boolean
  /** The error the session was destroyed with by its owner, if any. */
  readonly destroyError: Error | null
  exchangeDone(ex: StreamExchange): void
}

const EMPTY = new Uint8Array(0)
/** Without an answer to `expect: 100-continue`, the body is sent after this many ms (as curl and @sonic/http1 do). */
const CONTINUE_TIMEOUT = 1000

interface Waiter {
  resolve(chunk: Uint8Array | null): void
  reject(err: unknown): void
}

/**
 * The body of an HTTP/2 response: a BodyReader plus the trailers, which are set once the body has
 * been read to its end (null when the server sent none).
 */
export interface Http2BodyReader extends BodyReader {
  /** The trailer fields the server sent after the body; null until the end is read, or when none came. */
  readonly trailers: HttpHeaders | null
}

/** @internal */
export class StreamExchange implements Http2BodyReader {
  length: number | null = null
  trailers: HttpHeaders | null = null
  readonly #session: ExchangeSession
  readonly #stream: ClientHttp2Stream
  readonly #sockRead: number | null
  readonly #signal: AbortSignal | null
  readonly #method: string
  #resolveHead: ((head: HttpResponseHead) => void) | null = null
  #rejectHead: ((err: unknown) => void) | null = null
  #headDone = false
  readonly #queue: Uint8Array[] = []
  #waiter: Waiter | null = null
  #ended = false
  #received = 0
  #finished = false
  #error: Error | null = null
  #streamError: unknown = null
  #timer: NodeJS.Timeout | null = null
  readonly head: Promise<HttpResponseHead>

  constructor(session: ExchangeSession, stream: ClientHttp2Stream, req: HttpRequest) {
    this.#session = session
    this.#stream = stream
    this.#sockRead = req.sockRead
    this.#signal = req.signal ?? null
    this.#method = req.method
    this.head = new Promise<HttpResponseHead>((resolve, reject) => {
      this.#resolveHead = resolve
      this.#rejectHead = reject
    })
    stream.on('response', this.#onResponse)
    stream.on('data', this.#onData)
    stream.on('end', this.#onEnd)
    stream.on('trailers', this.#onTrailers)
    stream.on('error', this.#onError)
    stream.on('close', this.#onClose)
    if (this.#signal !== null) this.#signal.addEventListener('abort', this.#onAbort)
  }

  /** Writes the request body (none: the stream was opened with endStream), then waits for the head. */
  send(body: Uint8Array | StreamBody | null, onProgress: ProgressCallback | null | undefined, expectContinue = false): void {
    if (body === null) {
      this.#arm()
      return
    }
    if (expectContinue) {
      // `expect: 100-continue`: the body goes once the server says 100, or after CONTINUE_TIMEOUT
      // (as curl does); a final answer first means it is never sent.
      this.#arm()
      const go = () => {
        clearTimeout(timer)
        this.#stream.off('continue', go)
        if (this.#error !== null || this.#headDone || this.#stream.destroyed) return
        this.#disarm()
        this.send(body, onProgress)
      }
      const timer = setTimeout(go, CONTINUE_TIMEOUT)
      this.#stream.once('continue', go)
      this.#stream.once('response', () => {
        clearTimeout(timer)
        this.#stream.off('continue', go)
      })
      this.#stream.once('close', () => clearTimeout(timer))
      return
    }
    if (body instanceof Uint8Array) {
      this.#stream.end(body, () => {
        onProgress?.({ loaded: body.length, total: body.length })
        this.#arm()
      })
      return
    }
    this.#pump(body, onProgress ?? null).then(
      () => this.#arm(),
      (err: unknown) => this.#reset(err instanceof Error ? err : new Error(String(err))),
    )
  }

  async #pump(body: StreamBody, onProgress: ProgressCallback | null): Promise<void> {
    const stream = this.#stream
    const total = body.length ?? undefined
    let loaded = 0
    const it = body.stream()[Symbol.asyncIterator]()
    try {
      for (;;) {
        if (this.#error !== null || stream.destroyed) return
        const r = await it.next()
        if (r.done === true) break
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value
        if (chunk.length === 0) continue
        if (this.#error !== null || stream.destroyed) return
        // write() returns false once the stream's buffer is full; HTTP/2 flow control keeps it
        // full until the server opens its window, so memory stays bounded by the highWaterMark.
        if (!stream.write(chunk)) await this.#drained()
        loaded += chunk.length
        if (onProgress !== null) onProgress(total === undefined ? { loaded } : { loaded, total })
      }
    } finally {
      if (this.#error !== null || stream.destroyed) await it.return?.(undefined)
    }
    if (this.#error === null && !stream.destroyed) stream.end()
  }

  #drained(): Promise<void> {
    const stream = this.#stream
    return new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done)
        stream.off('close', done)
        resolve()
      }
      stream.on('drain', done)
      stream.on('close', done)
    })
  }

  read(): Promise<Uint8Array | null> {
    if (this.#error !== null) return Promise.reject(this.#error)
    const queue = this.#queue
    if (queue.length > 0) {
      const chunk = queue.shift() as Uint8Array
      if (queue.length === 0 && !this.#ended) this.#stream.resume()
      return Promise.resolve(chunk)
    }
    if (this.#ended) {
      this.#finish()
      return Promise.resolve(null)
    }
    if (this.#waiter !== null) return Promise.reject(new Error('read() called while another read() is pending'))
    return new Promise<Uint8Array | null>((resolve, reject) => {
      this.#waiter = { resolve, reject }
      this.#stream.resume()
      this.#arm()
    })
  }

  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    let total = 0
    for (let c = await this.read(); c !== null; c = await this.read()) {
      chunks.push(c)
      total += c.length
    }
    if (chunks.length === 1) return chunks[0] as Uint8Array
    return chunks.length === 0 ? EMPTY : Buffer.concat(chunks, total)
  }

  cancel(): Promise<void> {
    if (this.#finished) return Promise.resolve()
    this.#queue.length = 0
    if (this.#ended && this.#error === null) {
      this.#finish()
      return Promise.resolve()
    }
    // Only this stream is reset; the session carries on.
    this.#fail(new AbortError('The response body was cancelled'))
    this.#resetStream()
    return Promise.resolve()
  }

  readonly #onResponse = (headers: IncomingHttpHeaders, _flags: number, raw?: string[]): void => {
    this.#disarm()
    const status = Number(headers[':status'])
    const flat: string[] = []
    const src = raw ?? flatten(headers)
    for (let i = 0; i + 1 < src.length; i += 2) {
      const name = src[i] as string
      if (name.charCodeAt(0) === 58 /* : */) continue
      flat.push(name, src[i + 1] as string)
    }
    const cl = headers['content-length']
    if (typeof cl === 'string' && this.#method !== 'HEAD' && status !== 204 && status !== 304) {
      const n = Number(cl)
      if (Number.isSafeInteger(n) && n >= 0) this.length = n
    }
    if (this.#method === 'HEAD' || status === 204 || status === 304) this.length = 0
    this.#headDone = true
    const resolve = this.#resolveHead
    this.#resolveHead = null
    this.#rejectHead = null
    resolve?.({
      status,
      statusText: STATUS_CODES[status] ?? '',
      httpVersion: '2',
      headers: HttpHeaders.fromFlat(flat),
      chunked: false,
      body: this,
    })
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#received += chunk.length
    const w = this.#waiter
    if (w !== null) {
      this.#waiter = null
      this.#disarm()
      w.resolve(chunk)
      return
    }
    this.#queue.push(chunk)
    this.#stream.pause()
  }

  readonly #onEnd = (): void => {
    // node:http2 also ends the readable side when the stream is reset or the session dies: only
    // an END_STREAM from the server (no reset code, all declared bytes) is a complete body.
    const code = this.#stream.rstCode
    if ((code !== undefined && code !== 0) || this.#session.dead || (this.length !== null && this.#received !== this.length)) {
      this.#fail(this.#closeError())
      return
    }
    this.#ended = true
    // A final answer to `expect: 100-continue` came before the body was sent: our side of the
    // stream is still open, so close it (RST_STREAM NO_ERROR, RFC 9113 §8.1).
    if (!this.#stream.writableEnded && !this.#stream.closed) this.#stream.close(0)
    const w = this.#waiter
    if (w !== null) {
      this.#waiter = null
      this.#disarm()
      this.#finish()
      w.resolve(null)
    }
  }

  readonly #onTrailers = (headers: IncomingHttpHeaders, _flags: number, raw?: string[]): void => {
    this.trailers = HttpHeaders.fromFlat((raw ?? flatten(headers)).slice())
  }

  readonly #onError = (err: unknown): void => {
    this.#streamError = err
  }

  readonly #onClose = (): void => {
    this.#disarm()
    if (this.#error === null && !(this.#ended && this.#headDone)) this.#fail(this.#closeError())
    this.#cleanup()
  }

  readonly #onAbort = (): void => {
    const signal = this.#signal as AbortSignal
    this.#reset(new AbortError(undefined, { cause: signal.reason }))
  }

  /** Why the stream closed before the response was complete. */
  #closeError(): Error {
    const stream = this.#stream
    const session = this.#session
    const code = stream.rstCode ?? 0
    const goaway = session.goaway
    const cause = this.#streamError ?? undefined
    const opts = cause === undefined ? {} : { cause }
    // Never processed by the server: refused, above the GOAWAY's last stream id, or never opened.
    const unprocessed =
      !this.#headDone && (code === REFUSED_STREAM || stream.id === undefined || (goaway !== null && (stream.id as number) > goaway.lastStreamId))
    let err: Error
    if (code === REFUSED_STREAM) {
      err = new Http2Error('The server refused the stream (REFUSED_STREAM)', 'REFUSED_STREAM', opts)
    } else if (session.destroyError !== null) {
      err = session.destroyError
    } else if (goaway !== null && goaway.code !== 0 && session.dead) {
      const name = http2CodeName(goaway.code)
      err = new Http2Error(`The server ended the HTTP/2 session with GOAWAY (${name})`, name, opts)
    } else if (session.dead) {
      err = new ConnectionClosedError(
        this.#headDone ? 'The HTTP/2 session closed before the response body was complete' : 'The HTTP/2 session closed before the response arrived',
        { ...opts, beforeResponse: !this.#headDone },
      )
    } else if (code !== 0) {
      const name = http2CodeName(code)
      err = new Http2Error(`The server reset the stream (${name})`, name, opts)
    } else {
      err = new ConnectionClosedError('The HTTP/2 stream closed before the response was complete', { ...opts, beforeResponse: !this.#headDone })
    }
    return unprocessed ? markRetryable(err) : err
  }

  /** Fails the exchange with `err` and resets the stream (our side gave up). */
  #reset(err: Error): void {
    if (this.#finished) return
    this.#fail(err)
    this.#resetStream()
  }

  #resetStream(): void {
    const stream = this.#stream
    if (!stream.closed && !stream.destroyed) stream.close(CANCEL)
  }

  /** Settles whoever waits with `err`; later reads reject with it. */
  #fail(err: Error): void {
    if (this.#error !== null) return
    this.#error = err
    this.#disarm()
    this.#queue.length = 0
    const reject = this.#rejectHead
    if (reject !== null) {
      this.#resolveHead = null
      this.#rejectHead = null
      reject(err)
    }
    const w = this.#waiter
    if (w !== null) {
      this.#waiter = null
      w.reject(err)
    }
    this.#finish()
  }

  /** The exchange is over for its reader (end read, failed or cancelled). */
  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    if (this.#signal !== null) this.#signal.removeEventListener('abort', this.#onAbort)
  }

  #cleanup(): void {
    this.#finish()
    this.#session.exchangeDone(this)
  }

  /** Bounds the wait for the server's next bytes (the head, or a pending read) by sockRead. */
  #arm(): void {
    const ms = this.#sockRead
    if (ms === null || this.#error !== null || this.#timer !== null) return
    if (this.#headDone && this.#waiter === null) return
    this.#timer = setTimeout(this.#onTimeout, ms)
  }

  #disarm(): void {
    if (this.#timer === null) return
    clearTimeout(this.#timer)
    this.#timer = null
  }

  readonly #onTimeout = (): void => {
    this.#timer = null
    const ms = this.#sockRead as number
    this.#reset(new ReadTimeoutError(`No data received from the server for ${ms} ms`, ms))
  }
}

function flatten(headers: IncomingHttpHeaders): string[] {
  const out: string[] = []
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (Array.isArray(v)) for (const item of v) out.push(name, item)
    else if (v !== undefined) out.push(name, String(v))
  }
  return out
}
