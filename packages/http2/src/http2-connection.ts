// One HTTP/2 session over an already connected socket (TLS with ALPN h2, or plain TCP for h2c
// with prior knowledge). node:http2 does the framing, HPACK and flow control; this file maps the
// session onto sonic's HttpConnection: capacity from the peer's SETTINGS, `closed` from GOAWAY or
// the end of the session, idle sessions unref'd, one StreamExchange per request.
import * as http2 from 'node:http2'
import type { Duplex } from 'node:stream'
import {
  AbortError,
  ConnectError,
  ConnectTimeoutError,
  ConnectionClosedError,
  InvalidArgumentError,
  isSonicError,
  isStreamBody,
  type HttpConnection,
  type HttpRequest,
  type HttpResponseHead,
} from '@sonic/core'
import { markRetryable } from './error-codes.js'
import { requestHeaders } from './request-headers.js'
import { StreamExchange, type ExchangeSession } from './stream-exchange.js'

/** Options of an HTTP/2 connection made over a connected socket. */
export interface Http2ConnectionOptions {
  /**
   * The origin the session talks to (`https://example.com`, `http://127.0.0.1:8080`); node:http2
   * uses it for defaults only, each request carries its own `:scheme` and `:authority`.
   * @default 'https://localhost' for a TLS socket, else 'http://localhost'
   */
  origin?: string
  /**
   * Upper bound of `capacity`, whatever the server allows (a server may announce no limit).
   * @default 1000
   */
  maxConcurrentStreams?: number
  /**
   * How long `ready` waits for the server's first SETTINGS frame, in ms; then ConnectTimeoutError.
   * @default 10000
   */
  settingsTimeout?: number
  /**
   * Keep-alive check, in ms: while requests are in flight, a PING every `pingInterval`; no answer
   * within `pingTimeout` → the session is taken for dead (destroyed; its streams fail with
   * ConnectionClosedError, the pool drops it). null: no pings.
   * @default null
   */
  pingInterval?: number | null
  /**
   * How long a PING may wait for its answer, in ms.
   * @default pingInterval
   */
  pingTimeout?: number
  /** Passed to `http2.connect` (e.g. `settings`, `maxSessionMemory`); `createConnection` is ours. */
  session?: Omit<http2.ClientSessionOptions, 'createConnection'>
}

/** Streams assumed allowed before the server's SETTINGS arrive (RFC 9113 recommends at least 100). */
const ASSUMED_STREAMS = 100

function isTlsSocket(socket: Duplex): boolean {
  return typeof (socket as { alpnProtocol?: unknown }).alpnProtocol !== 'undefined' || (socket as { encrypted?: boolean }).encrypted === true
}

/**
 * An HTTP/2 session over a connected socket, implementing HttpConnection: `request()` opens a
 * stream per request and many may run at once, up to `capacity` (the server's
 * `SETTINGS_MAX_CONCURRENT_STREAMS`). Await `ready` (the server's first SETTINGS) before handing
 * it to a pool so its capacity is known.
 *
 * @example
 * import { TcpTransport } from '@sonic/transport'
 * import { Http2Connection } from '@sonic/http2'
 * const { socket } = await new TcpTransport().connect({ protocol: 'https:', hostname: 'example.com', port: 443, alpn: ['h2'] })
 * const conn = await new Http2Connection(socket, { origin: 'https://example.com' }).ready
 * const res = await conn.request({ method: 'GET', path: '/', authority: 'example.com', scheme: 'https', headers: [], body: null, sockRead: 30000 })
 * console.log(res.status, Buffer.from(await res.body.readAll()).toString())
 * conn.destroy()
 */
export class Http2Connection implements HttpConnection, ExchangeSession {
  /** Resolves with this connection once the server's first SETTINGS arrived; rejects (ConnectError, ConnectTimeoutError) if the session ends or stays silent first. */
  readonly ready: Promise<this>
  /** Called once when the session is gone for good (GOAWAY received, closed or destroyed). */
  onClose: (() => void) | null = null
  requestCount = 0
  readonly keepAliveTimeout: number | null = null
  /** The server's GOAWAY (error code and last stream id it will process), once one arrived. */
  goaway: { code: number; lastStreamId: number } | null = null
  /** @internal The error destroy() was given: what the streams in flight fail with. */
  destroyError: Error | null = null
  readonly #session: http2.ClientHttp2Session
  readonly #maxStreams: number
  readonly #exchanges = new Set<StreamExchange>()
  #capacity = ASSUMED_STREAMS
  #settled = false
  #closeNotified = false
  #sessionError: unknown = null
  readonly #pingInterval: number | null
  readonly #pingTimeout: number
  #pingTimer: NodeJS.Timeout | null = null
  #pingDeadline: NodeJS.Timeout | null = null
  #dead = false

  constructor(socket: Duplex, options: Http2ConnectionOptions = {}) {
    const max = options.maxConcurrentStreams ?? 1000
    if (!(Number.isInteger(max) && max >= 1)) throw new InvalidArgumentError(`maxConcurrentStreams must be a positive whole number, got ${String(max)}`)
    const settingsTimeout = options.settingsTimeout ?? 10000
    if (!(typeof settingsTimeout === 'number' && settingsTimeout > 0)) {
      throw new InvalidArgumentError(`settingsTimeout must be a positive number of ms, got ${String(settingsTimeout)}`)
    }
    this.#maxStreams = max
    const ping = options.pingInterval ?? null
    if (ping !== null && !(typeof ping === 'number' && ping > 0 && ping < 2 ** 31)) {
      throw new InvalidArgumentError(`pingInterval must be a positive number of ms or null, got ${String(ping)}`)
    }
    const pingTimeout = options.pingTimeout ?? ping ?? 0
    if (ping !== null && !(typeof pingTimeout === 'number' && pingTimeout > 0 && pingTimeout < 2 ** 31)) {
      throw new InvalidArgumentError(`pingTimeout must be a positive number of ms, got ${String(pingTimeout)}`)
    }
    this.#pingInterval = ping
    this.#pingTimeout = pingTimeout
    const origin = options.origin ?? (isTlsSocket(socket) ? 'https://localhost' : 'http://localhost')
    const session = http2.connect(origin, { ...options.session, createConnection: () => socket })
    this.#session = session
    session.on('error', (err) => {
      this.#sessionError = err
    })
    session.on('goaway', (code: number, lastStreamId: number) => {
      this.goaway = { code, lastStreamId }
      this.#notifyClose()
    })
    session.on('remoteSettings', this.#onSettings)
    session.once('close', this.#onSessionClose)
    this.ready = new Promise<this>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new ConnectTimeoutError(`The server sent no HTTP/2 SETTINGS within ${settingsTimeout} ms`, settingsTimeout))
        this.destroy()
      }, settingsTimeout)
      const fail = (err: Error) => {
        if (this.#settled) return
        this.#settled = true
        clearTimeout(timer)
        session.off('remoteSettings', ok)
        session.off('close', closed)
        reject(err)
      }
      const ok = () => {
        if (this.#settled) return
        this.#settled = true
        clearTimeout(timer)
        session.off('close', closed)
        resolve(this)
      }
      const closed = () => {
        const cause = this.#sessionError
        fail(new ConnectError('The HTTP/2 session ended before the server sent its SETTINGS', cause === null ? {} : { cause }))
      }
      session.once('remoteSettings', ok)
      session.once('close', closed)
    })
    // A caller that never awaits `ready` must not see an unhandled rejection.
    this.ready.catch(() => {})
  }

  /** Streams this session may carry at once: the server's limit (bounded by `maxConcurrentStreams`); 0 once closed. */
  get capacity(): number {
    return this.closed ? 0 : this.#capacity
  }

  /** True once the server sent GOAWAY, or the session ended: it takes no new requests. */
  get closed(): boolean {
    return this.#dead || this.goaway !== null || this.#session.closed || this.#session.destroyed
  }

  /** @internal The session is gone (destroyed, its socket closed). */
  get dead(): boolean {
    return this.#dead || this.#session.destroyed
  }

  /** Requests (streams) in flight now. */
  get activeStreams(): number {
    return this.#exchanges.size
  }

  /** Sends `req` on a new stream; resolves with the head once the server answers. */
  request(req: HttpRequest): Promise<HttpResponseHead> {
    const signal = req.signal ?? null
    if (signal !== null && signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
    if (this.closed) {
      return Promise.reject(markRetryable(new ConnectionClosedError('The HTTP/2 session is closed or going away', { beforeResponse: true })))
    }
    const body = req.body
    let length: number | null = null
    if (body instanceof Uint8Array) length = body.length
    else if (body !== null && isStreamBody(body)) length = body.length
    else if (body !== null) return Promise.reject(new InvalidArgumentError('The request body must be null, a Uint8Array or a StreamBody'))
    let stream: http2.ClientHttp2Stream
    const expect = req.expectContinue === true && body !== null
    try {
      const headers = requestHeaders(req, length)
      if (expect) headers.expect = '100-continue'
      stream = this.#session.request(headers, { endStream: body === null })
    } catch (err) {
      return Promise.reject(this.#requestError(err))
    }
    this.requestCount++
    const ex = new StreamExchange(this, stream, req)
    this.#exchanges.add(ex)
    if (this.#pingInterval !== null && this.#pingTimer === null && this.#pingDeadline === null) {
      this.#pingTimer = setTimeout(this.#ping, this.#pingInterval)
    }
    ex.send(body, req.onUploadProgress, expect)
    return ex.head
  }

  /** Idle sessions do not keep the process alive. */
  setIdle(idle: boolean): void {
    if (this.#session.destroyed) return
    if (idle) this.#session.unref()
    else this.#session.ref()
  }

  /** Ends the session at once; streams in flight fail with `err` (default ConnectionClosedError). */
  destroy(err?: Error): void {
    if (this.#session.destroyed) return
    this.destroyError = err ?? null
    this.#dead = true
    this.#stopPings()
    this.#session.destroy()
    this.#notifyClose()
  }

  /** Sends GOAWAY and lets the streams in flight finish; resolves once the session is closed. */
  close(): Promise<void> {
    const session = this.#session
    if (session.destroyed) return Promise.resolve()
    return new Promise<void>((resolve) => {
      session.once('close', () => resolve())
      session.close()
      this.#notifyClose()
    })
  }

  /** @internal */
  exchangeDone(ex: StreamExchange): void {
    this.#exchanges.delete(ex)
    if (this.#exchanges.size === 0) this.#stopPings()
  }

  /** Sends a PING while streams are in flight; a missing answer means the session is dead. */
  readonly #ping = (): void => {
    this.#pingTimer = null
    const session = this.#session
    if (session.destroyed || this.#exchanges.size === 0) return
    const ms = this.#pingTimeout
    this.#pingDeadline = setTimeout(() => {
      this.#pingDeadline = null
      this.destroy(new ConnectionClosedError(`The server did not answer an HTTP/2 PING within ${ms} ms`))
    }, ms)
    try {
      session.ping((err) => {
        if (this.#pingDeadline !== null) clearTimeout(this.#pingDeadline)
        this.#pingDeadline = null
        if (err !== null || session.destroyed || this.#exchanges.size === 0) return
        this.#pingTimer = setTimeout(this.#ping, this.#pingInterval as number)
      })
    } catch {
      // The session is closing: its streams end on their own.
      this.#stopPings()
    }
  }

  #stopPings(): void {
    if (this.#pingTimer !== null) clearTimeout(this.#pingTimer)
    if (this.#pingDeadline !== null) clearTimeout(this.#pingDeadline)
    this.#pingTimer = null
    this.#pingDeadline = null
  }

  readonly #onSettings = (settings: http2.Settings): void => {
    const n = settings.maxConcurrentStreams
    if (typeof n === 'number') this.#capacity = Math.min(n, this.#maxStreams)
  }

  readonly #onSessionClose = (): void => {
    this.#dead = true
    this.#stopPings()
    this.#notifyClose()
    this.#exchanges.clear()
  }

  #notifyClose(): void {
    if (this.#closeNotified) return
    this.#closeNotified = true
    const cb = this.onClose
    if (cb !== null) queueMicrotask(cb)
  }

  #requestError(err: unknown): Error {
    if (isSonicError(err)) return err
    const code = (err as { code?: string }).code ?? ''
    if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION' || code === 'ERR_HTTP2_OUT_OF_STREAMS') {
      return markRetryable(new ConnectionClosedError('The HTTP/2 session is closed or going away', { beforeResponse: true, cause: err }))
    }
    return new InvalidArgumentError(`node:http2 rejected the request: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}
