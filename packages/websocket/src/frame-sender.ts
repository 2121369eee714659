// The sending side of a WebSocket: frames written in call order, each send resolving once the
// socket took its frame — at once when socket.write returned true, else on 'drain', with later
// sends queued behind it (not framed, not compressed until then), so nothing buffers without
// bound. Messages over the deflate threshold are compressed on the way (permessage-deflate).
import type { Duplex } from 'node:stream'
import { encodeFrame } from './frame-writer.js'
import type { DeflateCodec } from './permessage-deflate.js'

const RESOLVED = Promise.resolve()

export class FrameSender {
  readonly #socket: Duplex
  readonly #codec: DeflateCodec | null
  /** The error a send gets once the socket is gone. */
  readonly #closedError: () => Error
  /** Sends in flight (compressing or waiting for 'drain'); the next send waits for #tail. */
  #busy = 0
  #tail: Promise<void> = RESOLVED
  #drainWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = []

  constructor(socket: Duplex, codec: DeflateCodec | null, closedError: () => Error) {
    this.#socket = socket
    this.#codec = codec
    this.#closedError = closedError
  }

  /** Settles once every frame sent so far was handed to the socket (or failed). */
  get settled(): Promise<void> {
    return this.#tail
  }

  /** Writes one frame after those before it; compressing when asked and the message is big enough. */
  send(op: number, data: Uint8Array | string, size: number, compress: boolean): Promise<void> {
    const codec = compress ? this.#codec : null
    const deflate = codec !== null && size >= codec.threshold
    if (this.#busy === 0 && !deflate) {
      // The common path: nothing ahead of this frame, written now.
      try {
        if (this.#write(op, false, data, size)) return RESOLVED
      } catch (err) {
        return Promise.reject(err)
      }
      return this.#track(this.#drained())
    }
    return this.#track(
      this.#tail.then(async () => {
        let payload = data
        let length = size
        if (deflate) {
          payload = await codec.compress(data)
          length = payload.byteLength
        }
        if (!this.#write(op, deflate, payload, length)) await this.#drained()
      }),
    )
  }

  /** The socket is gone: sends waiting for 'drain' reject. */
  close(): void {
    const e = this.#closedError()
    const w = this.#drainWaiters
    this.#drainWaiters = []
    for (const x of w) x.reject(e)
    this.#socket.off('drain', this.#onDrain)
  }

  /** Later sends wait for `p`. */
  #track(p: Promise<void>): Promise<void> {
    this.#busy++
    const done = (): void => {
      this.#busy--
    }
    this.#tail = p.then(done, done)
    return p
  }

  /** Writes a frame; false when the socket asks us to wait for 'drain'. Throws when it is gone. */
  #write(op: number, rsv1: boolean, data: Uint8Array | string, size: number): boolean {
    const s = this.#socket
    if (s.destroyed || !s.writable) throw this.#closedError()
    return s.write(encodeFrame(op, rsv1, data, size))
  }

  #drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#drainWaiters.length === 0) this.#socket.once('drain', this.#onDrain)
      this.#drainWaiters.push({ resolve, reject })
    })
  }

  #onDrain = (): void => {
    const w = this.#drainWaiters
    this.#drainWaiters = []
    for (const x of w) x.resolve()
  }
}
