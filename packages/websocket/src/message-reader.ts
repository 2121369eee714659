// Frames → messages (RFC 6455 §5.4-5.6, RFC 7692 §6): fragments joined in order with control
// frames allowed between them, a new data frame inside a fragmented message or a continuation
// outside one refused (1002), the size of a whole message bounded by maxMsgSize (1009), text
// checked as UTF-8 as the fragments arrive (1007 at the first bad byte), compressed messages
// inflated with the frame reader held until each is done, so order is kept.
import { isUtf8 } from 'node:buffer'
import { FrameReader, OP_BINARY, OP_CONTINUATION, OP_TEXT, ProtocolViolation } from './frame-reader.js'
import type { DeflateCodec } from './permessage-deflate.js'

export interface MessageHandlers {
  onText(data: string): void
  onBinary(data: Buffer): void
  /** A close, ping or pong frame (payload ≤ 125 bytes). */
  onControl(opcode: number, payload: Buffer): void
  onViolation(v: ProtocolViolation): void
  /** Parsing is held (true) while a message inflates, so the socket can be paused meanwhile. */
  onHold(held: boolean): void
}

export class MessageReader {
  readonly #frames: FrameReader
  readonly #h: MessageHandlers
  readonly #codec: DeflateCodec | null
  readonly #max: number
  /** Opcode of the fragmented message in progress, or -1. */
  #opcode = -1
  #compressed = false
  #parts: Buffer[] = []
  #size = 0
  /** Checks a fragmented, uncompressed text message as it comes (fatal on the first bad byte). */
  #decoder: TextDecoder | null = null
  #text = ''
  #done = false
  /** hold(): the consumer's queue is full; no frame is parsed until release(). */
  #held = false
  #inflating = false

  constructor(handlers: MessageHandlers, codec: DeflateCodec | null, maxMsgSize: number) {
    this.#h = handlers
    this.#codec = codec
    this.#max = maxMsgSize
    this.#frames = new FrameReader(this.#onFrame, this.#violation, { rsv1Allowed: codec !== null, maxPayload: maxMsgSize })
  }

  push(chunk: Buffer): void {
    this.#frames.push(chunk)
  }

  /** Stops parsing after the current frame until release() (bytes wait in the frame reader). */
  hold(): void {
    this.#held = true
  }

  release(): void {
    if (!this.#held) return
    this.#held = false
    if (!this.#inflating && !this.#done) this.#frames.resume()
  }

  /** Nothing more is parsed (after a close or a failure). */
  stop(): void {
    this.#done = true
    this.#frames.stop()
    this.#parts = []
  }

  #violation = (v: ProtocolViolation): void => {
    if (this.#done) return
    this.stop()
    this.#h.onViolation(v)
  }

  #onFrame = (fin: boolean, rsv1: boolean, opcode: number, payload: Buffer): boolean => {
    if (opcode >= 0x8) {
      this.#h.onControl(opcode, payload)
      return this.#goOn()
    }
    if (opcode === OP_CONTINUATION) {
      if (this.#opcode < 0) return this.#fail(1002, 'A continuation frame with no message to continue')
      if (rsv1) return this.#fail(1002, 'RSV1 set on a continuation frame')
    } else {
      if (this.#opcode >= 0) return this.#fail(1002, 'A new message started before the fragmented one ended')
      this.#opcode = opcode
      this.#compressed = rsv1
      this.#size = 0
    }
    this.#size += payload.length
    if (this.#max > 0 && this.#size > this.#max) return this.#fail(1009, `A message over maxMsgSize (${this.#max} bytes)`)
    if (this.#compressed) {
      this.#parts.push(payload)
      if (!fin) return true
      return this.#inflate()
    }
    if (this.#opcode === OP_TEXT) return this.#textFrame(fin, payload)
    if (fin && this.#parts.length === 0) {
      this.#opcode = -1
      this.#h.onBinary(payload)
      return this.#goOn()
    }
    this.#parts.push(payload)
    if (!fin) return true
    const data = Buffer.concat(this.#parts, this.#size)
    this.#parts = []
    this.#opcode = -1
    this.#h.onBinary(data)
    return this.#goOn()
  }

  #textFrame(fin: boolean, payload: Buffer): boolean {
    if (fin && this.#decoder === null) {
      // The common case, one frame: a native check, then one decode.
      this.#opcode = -1
      if (!isUtf8(payload)) return this.#fail(1007, 'A text message is not valid UTF-8')
      this.#h.onText(payload.toString('utf8'))
      return this.#goOn()
    }
    this.#decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
    try {
      this.#text += this.#decoder.decode(payload, { stream: !fin })
    } catch {
      return this.#fail(1007, 'A text message is not valid UTF-8')
    }
    if (!fin) return true
    const text = this.#text
    this.#text = ''
    this.#decoder = null
    this.#opcode = -1
    this.#h.onText(text)
    return this.#goOn()
  }

  /** Inflates the message in #parts; parsing waits for it. */
  #inflate(): false {
    const parts = this.#parts
    const text = this.#opcode === OP_TEXT
    this.#parts = []
    this.#opcode = -1
    this.#inflating = true
    this.#h.onHold(true)
    this.#codec!.decompress(parts, this.#max).then(
      (data) => {
        if (this.#done) return
        if (text) {
          if (!isUtf8(data)) return this.#violation(new ProtocolViolation(1007, 'A text message is not valid UTF-8'))
          this.#h.onText(data.toString('utf8'))
        } else {
          this.#h.onBinary(data)
        }
        this.#inflating = false
        if (this.#done) return
        this.#h.onHold(false)
        if (!this.#held) this.#frames.resume()
      },
      (err: unknown) => {
        this.#violation(err instanceof ProtocolViolation ? err : new ProtocolViolation(1007, String(err)))
      },
    )
    return false
  }

  /** After a frame: parse on unless stopped or held. */
  #goOn(): boolean {
    return !this.#done && !this.#held
  }

  #fail(code: number, message: string): false {
    this.#violation(new ProtocolViolation(code, message))
    return false
  }
}

export { OP_BINARY, OP_TEXT }
