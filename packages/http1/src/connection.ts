// One HTTP/1.1 connection: the socket, one reused parser, and the lifecycle of the request in
// flight (write → head → body → keep or close). Everything per connection is bound once in the
// constructor; nothing allocates per chunk except the views the parser hands out.
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import {
  AbortError,
  ConnectionClosedError,
  HttpHeaders,
  HttpParserError,
  InvalidArgumentError,
  ReadTimeoutError,
  isSonicError,
  type HttpConnection,
  type HttpRequest,
  type HttpResponseHead,
} from '@sonic/core'
import { PAUSE, ResponseParser, SKIP_BODY } from '@sonic/parser'
import { Http1BodyReader, type BodySource } from './body-reader.js'
import { ReadTimer } from './read-timer.js'
import { RequestWriter } from './request-writer.js'
import { prepareRequest, type PreparedRequest } from './write-request.js'

/** Options of a connection built on an already connected socket. */
export interface Http1ConnectionOptions {
  /**
   * Largest response header block accepted, in bytes; larger → ResponseTooLargeError.
   * @default 65536
   */
  maxHeaderSize?: number
}

/** A cancelled body with at most this much left is drained to keep the connection. */
const DISCARD_LIMIT = 64 * 1024
/** Longest a cancelled body is drained (to keep the connection) before the connection is closed instead. */
const DRAIN_TIMEOUT = 1000

function toParserError(err: unknown): Error {
  if (isSonicError(err)) return err
  return new HttpParserError(err instanceof Error ? err.message : String(err), 'HPE_INTERNAL', { cause: err })
}

/**
 * One HTTP/1.1 connection, carrying one request at a time. Get one from connectHttp1(), or build
 * one on a connected socket. Read each response body to the end (or cancel it) before the next
 * request; the connection is then reused unless the server asked to close it.
 *
 * @example
 * const conn = await connectHttp1({ protocol: 'http:', hostname: '127.0.0.1', port: 8080 })
 * const res = await conn.request({
 *   method: 'GET', path: '/', authority: '127.0.0.1:8080', scheme: 'http',
 *   headers: [], body: null, sockRead: 30000,
 * })
 * const text = Buffer.from(await (res.body as Http1BodyReader).readAll()).toString()
 * conn.destroy()
 */
export class Http1Connection implements HttpConnection {
  /** Called once when the socket has closed, whatever the reason (pool bookkeeping). */
  onClose: ((conn: Http1Connection) => void) | null = null

  readonly #socket: Socket | TLSSocket
  readonly #parser: ResponseParser
  readonly #source: BodySource
  readonly #writer: RequestWriter
  readonly #readTimer: ReadTimer
  #closed = false
  #closeNotified = false
  #requestCount = 0
  #keepAliveTimeout: number | null = null

  // The exchange in flight (all reset by #endExchange).
  #req: HttpRequest | null = null
  #prep: PreparedRequest | null = null
  #resolveHead: ((head: HttpResponseHead) => void) | null = null
  #rejectHead: ((err: unknown) => void) | null = null
  #reader: Http1BodyReader | null = null
  #signal: AbortSignal | null = null
  #gotBytes = false
  #bodyBytes = 0
  #in1xx = false
  #reusable = true
  #paused = false
  #discardResolve: (() => void) | null = null
  #discardLimit = 0
  #drainTimer: NodeJS.Timeout | null = null

  /**
   * @param socket a connected socket (net or TLS) that nothing else reads from
   * @param options parser limits
   */
  constructor(socket: Socket | TLSSocket, options: Http1ConnectionOptions = {}) {
    this.#socket = socket
    const parser = new ResponseParser({ maxHeaderSize: options.maxHeaderSize ?? 65536 })
    parser.onHeaders = this.#onHeaders
    parser.onBody = this.#onBody
    parser.onComplete = this.#onComplete
    this.#parser = parser
    this.#source = {
      resume: (reader) => {
        if (reader === this.#reader) this.#resumeReading()
      },
      discard: (reader) => this.#discard(reader),
    }
    this.#writer = new RequestWriter(socket, {
      // Each wait for bytes is bounded by sockRead while the server owes us something, not
      // while we upload.
      onAwaitServer: (awaiting) => {
        if (this.#req === null) return
        if (awaiting) this.#readTimer.arm(this.#req.sockRead)
        else this.#readTimer.disarm()
      },
      onWriteError: (err) => {
        if (this.#req !== null) this.#fail(err)
      },
    })
    this.#readTimer = new ReadTimer((ms) => {
      if (this.#req !== null) this.#fail(new ReadTimeoutError(`No data received from the server for ${ms} ms`, ms))
    })
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('error', this.#onError)
    socket.on('close', this.#onSocketClose)
    if (socket.destroyed) this.#closed = true
    else socket.resume()
  }

  /** True once the connection can carry no more requests. */
  get closed(): boolean {
    return this.#closed
  }

  /** Requests started on this connection. */
  get requestCount(): number {
    return this.#requestCount
  }

  /** Idle limit (ms) from the last `Keep-Alive: timeout=N` response header, else null. */
  get keepAliveTimeout(): number | null {
    return this.#keepAliveTimeout
  }

  /** True while a request is in flight (until its response is complete on the wire). */
  get busy(): boolean {
    return this.#req !== null
  }

  /** The underlying socket. */
  get socket(): Socket | TLSSocket {
    return this.#socket
  }

  /** Idle connections do not keep the process alive (socket.unref()); busy ones do. */
  setIdle(idle: boolean): void {
    const socket = this.#socket
    // A tunnel given as a plain Duplex may have no ref()/unref(); its own transport decides.
    if (typeof socket.unref !== 'function') return
    if (idle) socket.unref()
    else socket.ref()
  }

  /** Closes the connection now; a request in flight fails with `err` (default ConnectionClosedError). */
  destroy(err?: Error): void {
    if (this.#req !== null) this.#fail(err ?? new ConnectionClosedError('The connection was destroyed'))
    else this.#closeSocket()
  }

  /**
   * Sends `req` and resolves with the response head once it is parsed; the body follows through
   * `head.body`. One request at a time: a second call before the response is complete rejects
   * with InvalidArgumentError.
   */
  request(req: HttpRequest): Promise<HttpResponseHead> {
    if (this.#req !== null) {
      return Promise.reject(new InvalidArgumentError('Http1Connection carries one request at a time; the previous response is not complete'))
    }
    if (this.#closed || this.#socket.destroyed) {
      this.#closeSocket()
      return Promise.reject(new ConnectionClosedError('The connection is closed', { beforeResponse: true }))
    }
    let prep: PreparedRequest
    try {
      prep = prepareRequest(req)
    } catch (err) {
      return Promise.reject(err)
    }
    const signal = req.signal ?? null
    if (signal !== null && signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))

    this.#requestCount++
    this.#req = req
    this.#prep = prep
    this.#gotBytes = false
    this.#bodyBytes = 0
    this.#in1xx = false
    this.#reusable = true
    this.#parser.reset()
    const promise = new Promise<HttpResponseHead>((resolve, reject) => {
      this.#resolveHead = resolve
      this.#rejectHead = reject
    })
    if (signal !== null) {
      this.#signal = signal
      signal.addEventListener('abort', this.#onAbort)
    }
    this.#writer.write(prep, req.onUploadProgress)
    return promise
  }

  // ---- reading ----

  #onData = (chunk: Buffer): void => {
    if (this.#req === null) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.#closeSocket()
      return
    }
    this.#gotBytes = true
    this.#readTimer.touch()
    let consumed: number
    try {
      consumed = this.#parser.execute(chunk)
    } catch (err) {
      this.#fail(toParserError(err))
      return
    }
    // The parser stops after a complete response; anything after it was never asked for.
    if (consumed < chunk.length && this.#req === null) this.#closeSocket()
  }

  #onHeaders = (p: ResponseParser): number => {
    const prep = this.#prep
    if (prep === null) return PAUSE
    const status = p.statusCode
    if (status < 200 && status !== 101) {
      this.#in1xx = true
      if (status === 100) this.#writer.continueBody()
      return 0
    }
    // A final answer instead of 100 Continue: the body is never sent, so the server's view of
    // the request stream is uncertain. Not reusable.
    if (this.#writer.skipBody()) this.#reusable = false
    if (status === 101) {
      // Switching protocols is only an answer to a request that offered one (Upgrade header).
      if (!prep.upgrade) throw new HttpParserError('101 Switching Protocols to a request that did not ask to upgrade', 'HPE_UNEXPECTED_UPGRADE')
      this.#reusable = false
    }
    const keepAlive = p.header('keep-alive')
    if (keepAlive !== null) {
      const m = /timeout\s*=\s*(\d+)/i.exec(keepAlive)
      if (m !== null) this.#keepAliveTimeout = Number(m[1]) * 1000
    }
    const noBody = prep.isHead || status === 204 || status === 304 || status === 101
    const reader = new Http1BodyReader(this.#source, noBody ? 0 : p.contentLength)
    this.#reader = reader
    const resolve = this.#resolveHead!
    this.#resolveHead = null
    this.#rejectHead = null
    resolve({
      status,
      statusText: p.statusText,
      httpVersion: p.versionMajor === 1 && p.versionMinor === 0 ? '1.0' : '1.1',
      headers: HttpHeaders.fromFlat(p.headersFlat()),
      chunked: p.chunked,
      body: reader,
    })
    return noBody ? SKIP_BODY : 0
  }

  #onBody = (chunk: Uint8Array): number => {
    const reader = this.#reader
    if (reader === null) return PAUSE
    this.#bodyBytes += chunk.byteLength
    if (this.#discardResolve !== null) {
      if (this.#bodyBytes > this.#discardLimit) {
        this.#fail(new AbortError('The response body was cancelled'))
        return PAUSE
      }
      return 0
    }
    if (!reader.push(chunk) && !this.#paused) {
      this.#paused = true
      this.#socket.pause()
      this.#readTimer.suspend()
    }
    return 0
  }

  #onComplete = (p: ResponseParser): number => {
    if (this.#in1xx) {
      this.#in1xx = false
      return 0
    }
    if (this.#req === null) return PAUSE
    // A response complete before the whole body was sent (e.g. 413): stop sending, and close,
    // since the server's view of the request stream is unknown.
    const keep = p.keepAlive && this.#reusable && !this.#prep!.close && !this.#writer.writing
    const reader = this.#reader!
    const discarded = this.#discardResolve
    this.#endExchange()
    if (!keep) this.#closeSocket()
    reader.end()
    if (discarded !== null) discarded()
    return PAUSE
  }

  #resumeReading(): void {
    if (!this.#paused) return
    this.#paused = false
    this.#socket.resume()
    this.#readTimer.resume()
  }

  #discard(reader: Http1BodyReader): Promise<void> {
    if (reader !== this.#reader) return Promise.resolve()
    const p = this.#parser
    const length = p.contentLength
    const unknown = p.chunked || length === null
    if (!unknown && length! - this.#bodyBytes > DISCARD_LIMIT) {
      this.#fail(new AbortError('The response body was cancelled'))
      return Promise.resolve()
    }
    if (!p.chunked && length === null) {
      // Read until close: the connection ends with the body anyway.
      this.#fail(new AbortError('The response body was cancelled'))
      return Promise.resolve()
    }
    this.#discardLimit = this.#bodyBytes + DISCARD_LIMIT
    return new Promise<void>((resolve) => {
      this.#discardResolve = resolve
      // A slow server must not hold release() up: past DRAIN_TIMEOUT the connection is closed.
      this.#drainTimer = setTimeout(this.#onDrainTimeout, DRAIN_TIMEOUT)
      this.#resumeReading()
    })
  }

  // ---- abort, failure, end of exchange ----

  #onDrainTimeout = (): void => {
    this.#drainTimer = null
    if (this.#discardResolve !== null) this.#fail(new AbortError('The response body was cancelled'))
  }

  #onAbort = (): void => {
    const signal = this.#signal
    if (signal === null) return
    this.#fail(new AbortError(undefined, { cause: signal.reason }))
  }

  /** Clears the per-exchange state; the connection is free for the next request. */
  #endExchange(): void {
    this.#req = null
    this.#prep = null
    this.#resolveHead = null
    this.#rejectHead = null
    this.#reader = null
    this.#discardResolve = null
    if (this.#drainTimer !== null) {
      clearTimeout(this.#drainTimer)
      this.#drainTimer = null
    }
    this.#readTimer.disarm()
    this.#writer.stop()
    const signal = this.#signal
    if (signal !== null) {
      this.#signal = null
      signal.removeEventListener('abort', this.#onAbort)
    }
    if (this.#paused) {
      this.#paused = false
      this.#socket.resume()
    }
  }

  /** Ends the exchange in flight with `err` and destroys the connection. */
  #fail(err: unknown): void {
    const rejectHead = this.#rejectHead
    const reader = this.#reader
    const discarded = this.#discardResolve
    this.#endExchange()
    this.#closeSocket()
    if (rejectHead !== null) rejectHead(err)
    else if (reader !== null) reader.fail(err)
    if (discarded !== null) discarded()
  }

  #closeSocket(): void {
    this.#closed = true
    this.#readTimer.clear()
    this.#writer.stop()
    if (!this.#socket.destroyed) this.#socket.destroy()
    // Frees the parser's WASM state (deferred by the parser when called from one of its handlers).
    this.#parser.destroy()
  }

  #onEnd = (): void => {
    if (this.#req !== null) {
      if (this.#gotBytes) {
        try {
          // Completes a read-until-close body (through #onComplete).
          this.#parser.finish()
        } catch {
          // Incomplete message: reported below as a closed connection.
        }
      }
      if (this.#req !== null) {
        this.#fail(
          new ConnectionClosedError(
            this.#gotBytes ? 'The server closed the connection in the middle of the response' : 'The server closed the connection before responding',
            { beforeResponse: !this.#gotBytes },
          ),
        )
      }
    }
    this.#closeSocket()
  }

  #onError = (err: Error): void => {
    if (this.#req !== null) {
      this.#fail(new ConnectionClosedError(`The connection failed: ${err.message}`, { cause: err, beforeResponse: !this.#gotBytes }))
    }
    this.#closeSocket()
  }

  #onSocketClose = (): void => {
    if (this.#req !== null) {
      this.#fail(new ConnectionClosedError('The connection was closed', { beforeResponse: !this.#gotBytes }))
    }
    this.#closeSocket()
    if (!this.#closeNotified) {
      this.#closeNotified = true
      this.onClose?.(this)
    }
  }
}
