// One open WebSocket over a socket the handshake handed over (connect.ts): messages in through
// MessageReader into a bounded ReceiveQueue (the socket pauses while it is full), frames out
// through FrameSender (send* resolves once the socket took the bytes, or after 'drain'),
// and the life around them: autoping, heartbeat, autoclose, the close handshake, failures.
import type { Duplex } from 'node:stream'
import { AbortError, ConnectionClosedError, InvalidArgumentError, WebSocketError, type HttpHeaders } from '@sonic/core'
import { checkClose, readClose } from './close-frame.js'
import { OP_CLOSE, OP_PING, OP_PONG, OP_BINARY, OP_TEXT, ProtocolViolation } from './frame-reader.js'
import { FrameSender } from './frame-sender.js'
import { closePayload } from './frame-writer.js'
import { Heartbeat } from './heartbeat.js'
import type { CloseMessage, DataMessage, WsMessage } from './message.js'
import { MessageReader } from './message-reader.js'
import { DeflateCodec, type DeflateParams } from './permessage-deflate.js'
import { ReceiveQueue, type ReceiveOptions } from './receive-queue.js'

/** Queued messages at which the socket is paused, and the length at which it resumes. */
const HIGH_WATER = 16
const LOW_WATER = 4
/** How long to wait for the server to close TCP after both close frames, in ms. */
const LINGER_MS = 2000

const PAUSE_QUEUE = 1
const PAUSE_INFLATE = 2

const EMPTY = new Uint8Array(0)

/** The 101 answer of the opening handshake. */
export interface WsResponse {
  readonly status: number
  readonly statusText: string
  /** Its headers (Set-Cookie included). */
  readonly headers: HttpHeaders
}

/** Options of one send. */
export interface SendOptions {
  /**
   * Compress this message when permessage-deflate was agreed (messages under the threshold never are).
   * @default true
   */
  compress?: boolean
}

/** Options of close(). */
export interface CloseOptions {
  /**
   * The close code: 1000-1003, 1007-1014 or 3000-4999 (1004-1006 and 1015 never go on the wire).
   * @default 1000
   */
  code?: number
  /**
   * The reason, at most 123 bytes of UTF-8.
   * @default ''
   */
  reason?: string
}

/** What the handshake hands a WebSocketClient (built by wsConnect). */
export interface WebSocketInit {
  readonly socket: Duplex
  /** Bytes that came after the 101 head. */
  readonly head: Uint8Array
  readonly url: string
  readonly protocol: string | null
  readonly extensions: string | null
  readonly deflate: DeflateParams | null
  readonly response: WsResponse
  readonly autoclose: boolean
  readonly autoping: boolean
  readonly heartbeat: number | null
  readonly maxMsgSize: number
  /** Longest wait for the server's close frame after ours, in ms (null: none). */
  readonly closeTimeout: number | null
  readonly signal: AbortSignal | null
}

/**
 * An open WebSocket (RFC 6455), made by `wsConnect()`. Receive with `receive()` (or async
 * iteration), send with `sendStr` / `sendBytes` / `sendJson`, and `close()` (or `await using`).
 */
export class WebSocketClient implements AsyncIterable<DataMessage>, AsyncDisposable {
  /** The URL connected to. */
  readonly url: string
  /** The subprotocol the server chose, or null. */
  readonly protocol: string | null
  /** The Sec-WebSocket-Extensions the server answered with, or null. */
  readonly extensions: string | null
  /** The handshake's 101 response. */
  readonly response: WsResponse

  readonly #socket: Duplex
  readonly #reader: MessageReader
  readonly #queue: ReceiveQueue<WsMessage>
  readonly #codec: DeflateCodec | null
  readonly #sender: FrameSender
  readonly #heartbeat: Heartbeat | null = null
  readonly #autoclose: boolean
  readonly #autoping: boolean
  readonly #closeTimeout: number | null
  readonly #signal: AbortSignal | null
  readonly #closed: Promise<void>
  #resolveClosed!: () => void
  #closeCode: number | null = null
  #closeReason: string | null = null
  #closeSent = false
  #closeReceived = false
  /** close() was called: unread and later data messages are dropped. */
  #userClosing = false
  #socketClosed = false
  #error: Error | null = null
  #socketError: Error | null = null
  #pauses = 0
  #closeTimer: NodeJS.Timeout | null = null

  /** Made by wsConnect(); `init` is the socket and what the handshake agreed. */
  constructor(init: WebSocketInit) {
    this.url = init.url
    this.protocol = init.protocol
    this.extensions = init.extensions
    this.response = init.response
    this.#socket = init.socket
    this.#autoclose = init.autoclose
    this.#autoping = init.autoping
    this.#closeTimeout = init.closeTimeout
    this.#signal = init.signal
    this.#codec = init.deflate === null ? null : new DeflateCodec(init.deflate)
    this.#sender = new FrameSender(init.socket, this.#codec, () => this.#closedError())
    this.#closed = new Promise<void>((resolve) => (this.#resolveClosed = resolve))
    this.#queue = new ReceiveQueue<WsMessage>(LOW_WATER, () => this.#unpause(PAUSE_QUEUE))
    this.#reader = new MessageReader(
      {
        onText: (data) => this.#deliver({ type: 'text', data, extra: null }),
        onBinary: (data) => this.#deliver({ type: 'binary', data, extra: null }),
        onControl: (op, payload) => this.#onControl(op, payload),
        onViolation: (v) => this.#onViolation(v),
        onHold: (held) => (held ? this.#pause(PAUSE_INFLATE) : this.#unpause(PAUSE_INFLATE)),
      },
      this.#codec,
      init.maxMsgSize,
    )
    const s = this.#socket
    s.on('error', this.#onSocketError)
    s.on('close', this.#onSocketClose)
    s.on('end', this.#onEnd)
    if (this.#signal !== null) this.#signal.addEventListener('abort', this.#onAbort, { once: true })
    if (s.destroyed) {
      queueMicrotask(this.#onSocketClose)
    } else {
      if (init.head.length > 0) this.#reader.push(Buffer.from(init.head.buffer, init.head.byteOffset, init.head.byteLength))
      s.on('data', this.#onData)
      if (init.heartbeat !== null) {
        this.#heartbeat = new Heartbeat(
          init.heartbeat,
          () => {
            if (!this.#closeSent) this.#sender.send(OP_PING, EMPTY, 0, false).catch(() => {})
          },
          (ms) => this.#fail(new WebSocketError(`No pong within ${ms} ms of the heartbeat ping`, { closeCode: 1006 }), 1006, 'No pong'),
        )
      }
    }
  }

  /** The close code: the server's (1005 when it gave none), the one we failed with, 1006 for a broken connection; null while open. */
  get closeCode(): number | null {
    return this.#closeCode
  }

  /** The close reason the server gave (or why we failed); null while open. */
  get closeReason(): string | null {
    return this.#closeReason
  }

  /** True once a close frame was sent or the connection is gone. */
  get closed(): boolean {
    return this.#closeSent || this.#socketClosed
  }

  /** The error that ended the connection, or null (aiohttp's exception()). */
  get exception(): Error | null {
    return this.#error
  }

  // ---- sending ----

  /** Sends a text message; resolves once the socket took the bytes. */
  sendStr(data: string, options?: SendOptions): Promise<void> {
    if (typeof data !== 'string') return Promise.reject(new InvalidArgumentError('sendStr needs a string'))
    return this.#sendData(OP_TEXT, data, Buffer.byteLength(data), options?.compress !== false)
  }

  /** Sends a binary message; resolves once the socket took the bytes. */
  sendBytes(data: Uint8Array | ArrayBuffer, options?: SendOptions): Promise<void> {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new InvalidArgumentError('sendBytes needs a Uint8Array or an ArrayBuffer'))
    return this.#sendData(OP_BINARY, bytes, bytes.byteLength, options?.compress !== false)
  }

  /** Sends `value` as JSON text (`dumps`, default JSON.stringify). */
  sendJson(value: unknown, options?: SendOptions & { dumps?: (v: unknown) => string }): Promise<void> {
    let text: string
    try {
      text = (options?.dumps ?? JSON.stringify)(value)
    } catch (cause) {
      return Promise.reject(new InvalidArgumentError('sendJson could not serialise the value', { cause }))
    }
    if (typeof text !== 'string') return Promise.reject(new InvalidArgumentError('sendJson: the value has no JSON form'))
    return this.sendStr(text, options)
  }

  /** Sends a ping (payload at most 125 bytes). */
  ping(data: Uint8Array | string = EMPTY): Promise<void> {
    return this.#sendControl(OP_PING, data)
  }

  /** Sends a pong (with `autoping: false`, answer pings with it). */
  pong(data: Uint8Array | string = EMPTY): Promise<void> {
    return this.#sendControl(OP_PONG, data)
  }

  #sendControl(op: number, data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    if (!(bytes instanceof Uint8Array) || bytes.byteLength > 125) {
      return Promise.reject(new InvalidArgumentError('A ping or pong payload must be at most 125 bytes'))
    }
    return this.#sendData(op, bytes, bytes.byteLength, false)
  }

  #sendData(op: number, data: Uint8Array | string, size: number, compress: boolean): Promise<void> {
    if (this.#closeSent || this.#socketClosed) return Promise.reject(this.#closedError())
    return this.#sender.send(op, data, size, compress)
  }

  #closedError(): Error {
    return new ConnectionClosedError('The WebSocket is closed', { cause: this.#error ?? undefined })
  }

  // ---- receiving ----

  /**
   * The next message: text, binary, and with `autoping: false` ping and pong; after the close the
   * close message, every time. Rejects with the error that broke the connection (WebSocketError
   * with `closeCode`), ReadTimeoutError after `timeout` ms, AbortError when `signal` aborts.
   */
  receive(options?: ReceiveOptions): Promise<WsMessage> {
    return this.#queue.next(options)
  }

  /** The next message, which must be text (else WebSocketError). */
  async receiveStr(options?: ReceiveOptions): Promise<string> {
    const m = await this.receive(options)
    if (m.type !== 'text') throw new WebSocketError(`Expected a text message, got ${m.type}`, m.type === 'close' ? { closeCode: m.data } : undefined)
    return m.data
  }

  /** The next message, which must be binary (else WebSocketError). */
  async receiveBytes(options?: ReceiveOptions): Promise<Uint8Array> {
    const m = await this.receive(options)
    if (m.type !== 'binary') throw new WebSocketError(`Expected a binary message, got ${m.type}`, m.type === 'close' ? { closeCode: m.data } : undefined)
    return m.data
  }

  /** The next text message parsed as JSON (`loads`, default JSON.parse); bad JSON → WebSocketError. */
  async receiveJson<T = unknown>(options?: ReceiveOptions & { loads?: (text: string) => unknown }): Promise<T> {
    const text = await this.receiveStr(options)
    try {
      return (options?.loads ?? JSON.parse)(text) as T
    } catch (cause) {
      throw new WebSocketError('The message is not valid JSON', { cause })
    }
  }

  /** Text and binary messages until the close; the error that broke the connection is thrown. */
  async *[Symbol.asyncIterator](): AsyncGenerator<DataMessage, void, undefined> {
    for (;;) {
      const m = await this.receive()
      if (m.type === 'close') return
      if (m.type === 'text' || m.type === 'binary') yield m
    }
  }

  #deliver(m: WsMessage): void {
    this.#heartbeat?.heard()
    if (this.#userClosing) return
    if (this.#queue.push(m) >= HIGH_WATER) this.#pause(PAUSE_QUEUE)
  }

  #onData = (chunk: Buffer): void => {
    this.#reader.push(chunk)
  }

  #onControl(op: number, payload: Buffer): void {
    this.#heartbeat?.heard()
    if (op === OP_PING) {
      if (this.#autoping) {
        if (!this.#closeSent) this.#sender.send(OP_PONG, payload, payload.length, false).catch(() => {})
      } else {
        this.#deliver({ type: 'ping', data: payload, extra: null })
      }
    } else if (op === OP_PONG) {
      if (!this.#autoping) this.#deliver({ type: 'pong', data: payload, extra: null })
    } else if (op === OP_CLOSE) {
      this.#onClose(payload)
    }
  }

  #onClose(payload: Buffer): void {
    const read = readClose(payload)
    if (read instanceof ProtocolViolation) return this.#onViolation(read)
    const { code, reason } = read
    this.#closeReceived = true
    this.#closeCode = code
    this.#closeReason = reason
    this.#reader.stop()
    this.#heartbeat?.stop()
    const msg: CloseMessage = { type: 'close', data: code, extra: reason }
    if (this.#closeSent) {
      this.#linger()
    } else if (this.#autoclose) {
      // Echo the code (none for 1005: an empty close answers an empty close).
      this.#sendClose(code, '')
      this.#linger()
    }
    if (!this.#userClosing) this.#queue.push(msg)
    this.#queue.end(msg)
  }

  #onViolation(v: ProtocolViolation): void {
    this.#fail(new WebSocketError(v.message, { closeCode: v.code }), v.code, v.message)
  }

  /** Ends the connection with `err`: a close frame with `code` when one may be sent (not 1006). */
  #fail(err: Error, code: number, reason: string): void {
    if (this.#error !== null || this.#socketClosed) return
    this.#error = err
    this.#closeCode = code
    this.#closeReason = reason
    this.#reader.stop()
    this.#heartbeat?.stop()
    this.#queue.fail(err)
    if (code !== 1006 && !this.#closeSent && !this.#closeReceived) {
      this.#sendClose(code, '')
      this.#linger()
    } else {
      this.#socket.destroy()
    }
  }

  #sendClose(code: number, reason: string): Promise<void> {
    this.#closeSent = true
    const payload = closePayload(code, reason)
    return this.#sender.send(OP_CLOSE, payload, payload.length, false).catch(() => {})
  }

  /** Both sides are done: end our side, give the server LINGER_MS to close TCP. */
  #linger(): void {
    if (this.#socketClosed) return
    const s = this.#socket
    // After the close frame (queued behind any pending frames).
    void this.#sender.settled.then(() => {
      if (!s.destroyed) s.end()
    })
    this.#armCloseTimer(LINGER_MS, false)
  }

  #armCloseTimer(ms: number, abnormal: boolean): void {
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer)
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = null
      if (abnormal && !this.#closeReceived) {
        this.#closeCode = 1006
        this.#closeReason = 'The server did not answer the close frame'
      }
      this.#socket.destroy()
    }, ms)
  }

  // ---- close ----

  /**
   * Starts the close handshake (code 1000 by default), waits for the server's close frame (up to
   * the connect `timeout`, then the connection is dropped and closeCode is 1006) and for the
   * connection to end. Unread messages are dropped. Resolves at once when already closed.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const code = options.code ?? 1000
    const reason = options.reason ?? ''
    checkClose(code, reason)
    if (!this.#userClosing) {
      this.#userClosing = true
      this.#queue.clear()
      // Read on, so the server's close frame is seen even if nobody receives.
      this.#unpause(PAUSE_QUEUE)
      if (!this.#socketClosed && !this.#closeSent) {
        this.#queue.end({ type: 'close', data: code, extra: reason })
        const sent = this.#sendClose(code, reason)
        // The limit covers the wait behind unsent frames too.
        if (this.#closeTimeout !== null) this.#armCloseTimer(this.#closeTimeout, true)
        await sent
        if (this.#closeReceived) this.#linger()
      }
    }
    await this.#closed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---- flow, heartbeat, socket events ----

  #pause(flag: number): void {
    if (this.#pauses === 0) this.#socket.pause()
    this.#pauses |= flag
    // A full queue also stops the parser, so one big chunk of small frames cannot overfill it.
    if (flag === PAUSE_QUEUE) this.#reader.hold()
  }

  #unpause(flag: number): void {
    if ((this.#pauses & flag) === 0) return
    this.#pauses &= ~flag
    if (flag === PAUSE_QUEUE) this.#reader.release()
    if (this.#pauses === 0 && !this.#socketClosed) this.#socket.resume()
  }

  #onAbort = (): void => {
    const signal = this.#signal!
    this.#fail(new AbortError(undefined, { cause: signal.reason }), 1006, 'Aborted')
  }

  #onEnd = (): void => {
    // The server closed its side: close ours (a tunnel Duplex may allow half-open).
    if (!this.#socket.destroyed) this.#socket.end()
  }

  #onSocketError = (err: Error): void => {
    this.#socketError ??= err
  }

  #onSocketClose = (): void => {
    if (this.#socketClosed) return
    this.#socketClosed = true
    this.#heartbeat?.stop()
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer)
    this.#closeTimer = null
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#reader.stop()
    this.#codec?.close()
    if (!this.#closeReceived && this.#error === null) {
      if (this.#closeCode === null || !this.#userClosing) this.#closeCode = 1006
      this.#closeReason ??= 'The connection closed without a close frame'
      const err = new WebSocketError('The connection closed without a close frame', { closeCode: 1006, cause: this.#socketError ?? undefined })
      this.#error = err
      this.#queue.fail(err)
    }
    this.#sender.close()
    this.#resolveClosed()
  }
}
