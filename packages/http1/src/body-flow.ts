// The body of the response in flight, between the parser and its reader: backpressure (the socket
// paused while the reader is more than HIGH_WATER_MARK behind, the read timer suspended
// meanwhile) and cancelled bodies (a short rest drained and dropped to keep the connection,
// anything longer or slower closes it). One BodyFlow per connection, reused for every response.
import type { Duplex } from 'node:stream'
import { AbortError } from '@sonic/core'
import type { ResponseParser } from '@sonic/parser'
import type { BodySource, Http1BodyReader } from './body-reader.js'
import type { ReadTimer } from './read-timer.js'

/** A cancelled body with at most this much left is drained to keep the connection. */
const DISCARD_LIMIT = 64 * 1024
/** Longest a cancelled body is drained (to keep the connection) before the connection is closed instead. */
const DRAIN_TIMEOUT = 1000

export class BodyFlow implements BodySource {
  readonly #socket: Duplex
  readonly #parser: ResponseParser
  readonly #readTimer: ReadTimer
  readonly #fail: (err: unknown) => void
  #reader: Http1BodyReader | null = null
  /** Body bytes of this response so far. */
  #bytes = 0
  /** The socket is paused for the reader. */
  #paused = false
  #discardResolve: (() => void) | null = null
  #discardLimit = 0
  #drainTimer: NodeJS.Timeout | null = null

  /**
   * @param socket paused and resumed for the reader
   * @param parser the connection's, for the framing of the body in flight
   * @param readTimer suspended while the socket is paused for the reader
   * @param fail ends the exchange with an error and closes the connection
   */
  constructor(socket: Duplex, parser: ResponseParser, readTimer: ReadTimer, fail: (err: unknown) => void) {
    this.#socket = socket
    this.#parser = parser
    this.#readTimer = readTimer
    this.#fail = fail
  }

  /** The reader of the body in flight, null between responses. */
  get reader(): Http1BodyReader | null {
    return this.#reader
  }

  /** Resolves the pending cancel() of the body in flight, if it is being drained. */
  get discarded(): (() => void) | null {
    return this.#discardResolve
  }

  /** A response head was parsed: its body goes to `reader`. */
  open(reader: Http1BodyReader): void {
    this.#reader = reader
    this.#bytes = 0
  }

  /** Body bytes from the parser. False when there is no body to take them, or the exchange failed (a drain went past its limit). */
  push(chunk: Uint8Array): boolean {
    const reader = this.#reader
    if (reader === null) return false
    this.#bytes += chunk.byteLength
    if (this.#discardResolve !== null) {
      if (this.#bytes <= this.#discardLimit) return true
      this.#fail(new AbortError('The response body was cancelled'))
      return false
    }
    if (!reader.push(chunk) && !this.#paused) {
      this.#paused = true
      this.#socket.pause()
      this.#readTimer.suspend()
    }
    return true
  }

  /** BodySource: `reader` wants more; the socket resumes if it was paused for it. */
  resume(reader: Http1BodyReader): void {
    if (reader !== this.#reader || !this.#paused) return
    this.#paused = false
    this.#socket.resume()
    this.#readTimer.resume()
  }

  /**
   * BodySource: `reader` was cancelled. A rest known to be under DISCARD_LIMIT, or a chunked body,
   * is drained (up to DISCARD_LIMIT more bytes, for at most DRAIN_TIMEOUT) so the connection can be
   * kept; anything else ends the exchange at once. Resolves once the connection is free or closed.
   */
  discard(reader: Http1BodyReader): Promise<void> {
    if (reader !== this.#reader) return Promise.resolve()
    const p = this.#parser
    const length = p.contentLength
    // A read-until-close body (neither chunked nor sized) ends with the connection anyway.
    if (!p.chunked && (length === null || length - this.#bytes > DISCARD_LIMIT)) {
      this.#fail(new AbortError('The response body was cancelled'))
      return Promise.resolve()
    }
    this.#discardLimit = this.#bytes + DISCARD_LIMIT
    return new Promise<void>((resolve) => {
      this.#discardResolve = resolve
      // A slow server must not hold release() up: past DRAIN_TIMEOUT the connection is closed.
      this.#drainTimer = setTimeout(this.#onDrainTimeout, DRAIN_TIMEOUT)
      this.resume(reader)
    })
  }

  /**
   * The exchange ended (complete or failed): forgets the reader and a pending drain (the caller
   * took `discarded` first) and resumes a socket paused for the reader.
   */
  close(): void {
    this.#reader = null
    this.#discardResolve = null
    if (this.#drainTimer !== null) {
      clearTimeout(this.#drainTimer)
      this.#drainTimer = null
    }
    if (this.#paused) {
      this.#paused = false
      this.#socket.resume()
    }
  }

  #onDrainTimeout = (): void => {
    this.#drainTimer = null
    if (this.#discardResolve !== null) this.#fail(new AbortError('The response body was cancelled'))
  }
}
