// One HTTP/1.1 connection over one connected socket: the socket, one reused parser, and the
// lifecycle of the request in flight (write → head → body → keep or close, or, for upgrade(),
// hand the socket over: hand-over.ts). It never dials; a transport (@sonic/transport, a proxy
// tunnel, a socket of your own) gives it the socket. Everything per connection is bound once in
// the constructor; nothing allocates per chunk except the views the parser hands out.
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
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
import { BodyFlow } from './body-flow.js'
import { Http1BodyReader } from './body-reader.js'
import { checkExchange, handsOver, releaseSocket, takeSocket, type HandOverHead, type SocketListeners, type UpgradeResult } from './hand-over.js'
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

function toParserError(err: unknown): Error {
  if (isSonicError(err)) return err
  return new HttpParserError(err instanceof Error ? err.message : String(err), 'HPE_INTERNAL', { cause: err })
}

/**
 * One HTTP/1.1 connection over a connected socket, carrying one request at a time. Read each
 * response body to the end (or cancel it) before the next request; the connection is then reused
 * unless the server asked to close it. upgrade() sends a request that may switch protocols
 * (Upgrade) or open a tunnel (CONNECT) and hands the socket over.
 *
 * @example
 * const { socket } = await new TcpTransport().connect({ protocol: 'http:', hostname: '127.0.0.1', port: 8080 })
 * const conn = new Http1Connection(socket)
 * const res = await conn.request({
 *   method: 'GET', path: '/', authority: '127.0.0.1:8080', scheme: 'http',
 *   headers: [], body: null, sockRead: 30000,
 * })
 * const text = Buffer.from(await (res.body as Http1BodyReader).readAll()).toString()
 * conn.destroy()
 */
export class Http1Connection implements HttpConnection {
  /**
   * Called once when the connection is gone for good: its socket closed, whatever the reason, or
   * upgrade() handed it over (pool bookkeeping).
   */
  onClose: ((conn: Http1Connection) => void) | null = null

  /** Requests this connection carries at once: 1, as HTTP/1.1 has no multiplexing (and sonic no pipelining). */
  readonly capacity = 1

  readonly #socket: Duplex
  readonly #listeners: SocketListeners
  readonly #parser: ResponseParser
  readonly #writer: RequestWriter
  readonly #readTimer: ReadTimer
  /** The body of the response in flight: backpressure and cancelled bodies. */
  readonly #body: BodyFlow
  #closed = false
  /** upgrade() handed the socket over: it is no longer ours to read, pause or destroy. */
  #handedOver = false
  #closeNotified = false
  #requestCount = 0
  #keepAliveTimeout: number | null = null

  // The exchange in flight (all reset by #endExchange).
  #req: HttpRequest | null = null
  #prep: PreparedRequest | null = null
  #resolveHead: ((head: HttpResponseHead) => void) | null = null
  /** Set instead of #resolveHead for an upgrade() exchange. */
  #resolveUpgrade: ((result: UpgradeResult) => void) | null = null
  #rejectHead: ((err: unknown) => void) | null = null
  #handOver: HandOverHead | null = null
  #signal: AbortSignal | null = null
  #gotBytes = false
  #in1xx = false
  #reusable = true

  /**
   * @param socket a connected socket that nothing else reads from: a `net.Socket`, a
   *   `tls.TLSSocket`, or any `Duplex` (e.g. a proxy tunnel) — what a transport's connect() gives
   * @param options parser limits (a bad `maxHeaderSize` → InvalidArgumentError)
   */
  constructor(socket: Duplex, options: Http1ConnectionOptions = {}) {
    if (socket === null || typeof socket !== 'object' || typeof socket.write !== 'function' || typeof socket.on !== 'function') {
      throw new InvalidArgumentError('Http1Connection needs a connected socket (a Duplex)')
    }
    // Checked (by the parser) before anything is attached to the socket.
    const parser = new ResponseParser({ maxHeaderSize: options?.maxHeaderSize ?? 65536 })
    this.#socket = socket
    parser.onHeaders = this.#onHeaders
    parser.onBody = this.#onBody
    parser.onComplete = this.#onComplete
    this.#parser = parser
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
    this.#body = new BodyFlow(socket, parser, this.#readTimer, (err) => this.#fail(err))
    this.#listeners = { data: this.#onData, end: this.#onEnd, error: this.#onError, close: this.#onSocketClose }
    if (!takeSocket(socket, this.#listeners)) this.#closed = true
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

  /** The socket the connection was built on (cast it to `tls.TLSSocket` for TLS details). */
  get socket(): Duplex {
    return this.#socket
  }

  /** Idle connections do not keep the process alive (socket.unref()); busy ones do. */
  setIdle(idle: boolean): void {
    if (this.#handedOver) return
    const socket = this.#socket as Partial<Socket>
    // A tunnel given as a plain Duplex has no ref()/unref(); what is under it decides.
    if (typeof socket.unref !== 'function' || typeof socket.ref !== 'function') return
    if (idle) socket.unref()
    else socket.ref()
  }

  /**
   * Closes the connection now; a request in flight fails with `err` (default ConnectionClosedError).
   * A socket upgrade() handed over is left alone.
   */
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
    // #prepare throws (→ rejects) before the exchange starts; the resolvers are set before a byte is written.
    return new Promise<HttpResponseHead>((resolve, reject) => {
      const prep = this.#prepare(req, false)
      this.#resolveHead = resolve
      this.#rejectHead = reject
      this.#send(req, prep)
    })
  }

  /**
   * Sends `req`, which must offer an upgrade (an `Upgrade` header) or be a CONNECT (path
   * `host:port`), and carries no body. A 101, or a 2xx to CONNECT, hands the socket over (see
   * UpgradeResult): the connection lets go of it undestroyed and is `closed` from then on; attach
   * an 'error' listener. Any other status resolves with `socket: null` and the `body`. sockRead
   * and `req.signal` bound the wait for the head only.
   *
   * @example
   * const res = await conn.upgrade({ method: 'CONNECT', path: 'example.com:443', authority: 'example.com:443',
   *   scheme: 'http', headers: [], body: null, sockRead: 30000 })
   * if (res.socket === null) await res.body.cancel()
   * else res.socket.on('data', (chunk) => {}) // res.head first
   */
  upgrade(req: HttpRequest): Promise<UpgradeResult> {
    return new Promise<UpgradeResult>((resolve, reject) => {
      const prep = this.#prepare(req, true)
      this.#resolveUpgrade = resolve
      this.#rejectHead = reject
      this.#send(req, prep)
    })
  }

  /** Checks that `req` can be sent now (by upgrade() when `upgrading`); throws otherwise. */
  #prepare(req: HttpRequest, upgrading: boolean): PreparedRequest {
    if (this.#req !== null) {
      throw new InvalidArgumentError('Http1Connection carries one request at a time; the previous response is not complete')
    }
    if (this.#closed || this.#socket.destroyed) {
      this.#closeSocket()
      const why = this.#handedOver ? 'The connection handed its socket over (upgrade)' : 'The connection is closed'
      throw new ConnectionClosedError(why, { beforeResponse: true })
    }
    const prep = prepareRequest(req)
    checkExchange(prep, upgrading)
    const signal = req.signal ?? null
    if (signal !== null && signal.aborted) throw new AbortError(undefined, { cause: signal.reason })
    return prep
  }

  /** Starts the exchange (the caller has set the head's resolvers) and writes the request. */
  #send(req: HttpRequest, prep: PreparedRequest): void {
    this.#requestCount++
    this.#req = req
    this.#prep = prep
    this.#gotBytes = false
    this.#in1xx = false
    this.#reusable = true
    this.#parser.reset()
    // A 101 is an answer only to a request that offered an upgrade; the parser refuses any other.
    this.#parser.expectUpgrade = prep.upgrade
    const signal = req.signal ?? null
    if (signal !== null) {
      this.#signal = signal
      signal.addEventListener('abort', this.#onAbort)
    }
    this.#writer.write(prep, req.onUploadProgress)
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
    // After a 101 or a 2xx to CONNECT the rest of the chunk belongs to the new protocol.
    if (this.#handOver !== null) this.#handOverSocket(chunk.subarray(consumed))
    // The parser stops after a complete response; anything after it was never asked for.
    else if (consumed < chunk.length && this.#req === null) this.#closeSocket()
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
    // (A 101 to a request without Upgrade never gets here: the parser refuses it, expectUpgrade.)
    if (status === 101) this.#reusable = false
    const headers = HttpHeaders.fromFlat(p.headersFlat())
    const resolveUpgrade = this.#resolveUpgrade
    if (resolveUpgrade !== null && handsOver(prep, status)) {
      // Handed over once execute() returns, which tells where the head ended.
      this.#handOver = { status, statusText: p.statusText, headers }
      return SKIP_BODY
    }
    const keepAlive = p.header('keep-alive')
    if (keepAlive !== null) {
      const m = /timeout\s*=\s*(\d+)/i.exec(keepAlive)
      if (m !== null) this.#keepAliveTimeout = Number(m[1]) * 1000
    }
    const noBody = prep.isHead || status === 204 || status === 304 || status === 101
    const reader = new Http1BodyReader(this.#body, noBody ? 0 : p.contentLength)
    this.#body.open(reader)
    const resolve = this.#resolveHead
    this.#resolveHead = null
    this.#resolveUpgrade = null
    this.#rejectHead = null
    if (resolveUpgrade !== null) resolveUpgrade({ status, statusText: p.statusText, headers, socket: null, body: reader })
    else {
      resolve!({
        status,
        statusText: p.statusText,
        httpVersion: p.versionMajor === 1 && p.versionMinor === 0 ? '1.0' : '1.1',
        headers,
        chunked: p.chunked,
        body: reader,
      })
    }
    return noBody ? SKIP_BODY : 0
  }

  #onBody = (chunk: Uint8Array): number => (this.#body.push(chunk) ? 0 : PAUSE)

  #onComplete = (p: ResponseParser): number => {
    if (this.#in1xx) {
      this.#in1xx = false
      return 0
    }
    if (this.#req === null || this.#handOver !== null) return PAUSE
    // A response complete before the whole body was sent (e.g. 413): stop sending, and close,
    // since the server's view of the request stream is unknown.
    const keep = p.keepAlive && this.#reusable && !this.#prep!.close && !this.#writer.writing
    const reader = this.#body.reader!
    const discarded = this.#body.discarded
    // Trailer fields (chunked bodies): decoded now, while the chunk they came in is current.
    const trailers = p.trailerCount === 0 ? null : HttpHeaders.fromFlat(p.trailersFlat())
    this.#endExchange()
    if (!keep) this.#closeSocket()
    reader.end(trailers)
    if (discarded !== null) discarded()
    return PAUSE
  }

  /**
   * Gives the socket to the caller of upgrade(): nothing of the connection stays on it (listeners,
   * timers, parser), it is not destroyed, and it is left paused in the state of a fresh socket.
   */
  #handOverSocket(head: Uint8Array): void {
    const { status, statusText, headers } = this.#handOver!
    const resolve = this.#resolveUpgrade!
    const socket = this.#socket
    this.#handedOver = true
    this.#endExchange()
    this.#closed = true
    this.#readTimer.clear()
    this.#writer.detach()
    releaseSocket(socket, this.#listeners)
    this.#parser.destroy()
    resolve({ status, statusText, headers, socket, head })
    this.#notifyClose()
  }

  // ---- abort, failure, end of exchange ----

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
    this.#resolveUpgrade = null
    this.#rejectHead = null
    this.#handOver = null
    this.#readTimer.disarm()
    this.#writer.stop()
    const signal = this.#signal
    if (signal !== null) {
      this.#signal = null
      signal.removeEventListener('abort', this.#onAbort)
    }
    this.#body.close()
  }

  /** Ends the exchange in flight with `err` and destroys the connection. */
  #fail(err: unknown): void {
    const rejectHead = this.#rejectHead
    const reader = this.#body.reader
    const discarded = this.#body.discarded
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
    if (!this.#handedOver && !this.#socket.destroyed) this.#socket.destroy()
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
        const why = this.#gotBytes ? 'The server closed the connection in the middle of the response' : 'The server closed the connection before responding'
        this.#fail(new ConnectionClosedError(why, { beforeResponse: !this.#gotBytes }))
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
    this.#notifyClose()
  }

  #notifyClose(): void {
    if (this.#closeNotified) return
    this.#closeNotified = true
    this.onClose?.(this)
  }
}
