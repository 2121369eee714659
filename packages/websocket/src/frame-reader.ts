// Server → client frames (RFC 6455 §5.2), parsed from bytes split anywhere. Only the rules of a
// single frame are checked here (reserved bits and opcodes, masking, control-frame limits, the
// 64-bit length); how frames make messages is message-reader.ts's. The bytes wait in a list of
// the socket's chunks and are only copied when a header or payload spans two of them.

/** Opcodes of RFC 6455 §5.2. */
export const OP_CONTINUATION = 0x0
export const OP_TEXT = 0x1
export const OP_BINARY = 0x2
export const OP_CLOSE = 0x8
export const OP_PING = 0x9
export const OP_PONG = 0xa

/** A broken protocol rule: the close code to send (1002, 1007, 1009) and why. */
export class ProtocolViolation {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

/** Called for each complete frame; returns false to stop parsing until resume(). */
export type FrameHandler = (fin: boolean, rsv1: boolean, opcode: number, payload: Buffer) => boolean

const EMPTY = Buffer.alloc(0)

const HEADER = 0
const LENGTH_16 = 1
const LENGTH_64 = 2
const PAYLOAD = 3

export class FrameReader {
  readonly #onFrame: FrameHandler
  readonly #onError: (v: ProtocolViolation) => void
  /** RSV1 may be set (permessage-deflate was negotiated). */
  readonly #rsv1Allowed: boolean
  /** Largest payload of one frame, 0 for no limit. */
  readonly #maxPayload: number
  #chunks: Buffer[] = []
  #buffered = 0
  #state = HEADER
  #fin = false
  #rsv1 = false
  #opcode = 0
  #length = 0
  #stopped = false
  #failed = false
  #running = false

  constructor(onFrame: FrameHandler, onError: (v: ProtocolViolation) => void, opts: { rsv1Allowed: boolean; maxPayload: number }) {
    this.#onFrame = onFrame
    this.#onError = onError
    this.#rsv1Allowed = opts.rsv1Allowed
    this.#maxPayload = opts.maxPayload
  }

  /** Bytes waiting to be parsed. */
  get buffered(): number {
    return this.#buffered
  }

  push(chunk: Buffer): void {
    if (this.#failed || chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    this.#run()
  }

  /** Goes on after a handler returned false. */
  resume(): void {
    this.#stopped = false
    this.#run()
  }

  /** Drops what is buffered; nothing is parsed any more. */
  stop(): void {
    this.#failed = true
    this.#chunks = []
    this.#buffered = 0
  }

  #run(): void {
    // A handler may push or resume from inside a callback: one loop at a time.
    if (this.#running) return
    this.#running = true
    try {
      while (!this.#stopped && !this.#failed && this.#step()) {}
    } finally {
      this.#running = false
    }
  }

  /** Parses one piece (header, length or payload); false when more bytes are needed or parsing stopped. */
  #step(): boolean {
    switch (this.#state) {
      case HEADER: {
        if (this.#buffered < 2) return false
        const h = this.#consume(2)
        const b0 = h[0]!
        const b1 = h[1]!
        this.#fin = (b0 & 0x80) !== 0
        this.#rsv1 = (b0 & 0x40) !== 0
        this.#opcode = b0 & 0x0f
        if ((b0 & 0x30) !== 0) return this.#fail(1002, 'RSV2 and RSV3 must be clear')
        if ((b1 & 0x80) !== 0) return this.#fail(1002, 'A server must not mask its frames')
        const op = this.#opcode
        const control = op >= 0x8
        if (control) {
          if (op > OP_PONG) return this.#fail(1002, `Reserved opcode 0x${op.toString(16)}`)
          if (!this.#fin) return this.#fail(1002, 'A control frame must not be fragmented')
          if (this.#rsv1) return this.#fail(1002, 'RSV1 must be clear on a control frame')
        } else {
          if (op > OP_BINARY) return this.#fail(1002, `Reserved opcode 0x${op.toString(16)}`)
          if (this.#rsv1 && !this.#rsv1Allowed) return this.#fail(1002, 'RSV1 is set but no extension was negotiated')
        }
        const len = b1 & 0x7f
        if (control && len > 125) return this.#fail(1002, 'A control frame payload must be at most 125 bytes')
        if (len === 126) this.#state = LENGTH_16
        else if (len === 127) this.#state = LENGTH_64
        else return this.#payloadLength(len)
        return true
      }
      case LENGTH_16: {
        if (this.#buffered < 2) return false
        return this.#payloadLength(this.#consume(2).readUInt16BE(0))
      }
      case LENGTH_64: {
        if (this.#buffered < 8) return false
        const b = this.#consume(8)
        const high = b.readUInt32BE(0)
        // The most significant bit must be 0 (§5.2); beyond 2^53 no JS length can hold it.
        if (high > 0x1fffff) return this.#fail(high >= 0x80000000 ? 1002 : 1009, 'Frame length out of range')
        return this.#payloadLength(high * 0x100000000 + b.readUInt32BE(4))
      }
      default: {
        const n = this.#length
        if (this.#buffered < n) return false
        const payload = n === 0 ? EMPTY : this.#consume(n)
        this.#state = HEADER
        if (this.#onFrame(this.#fin, this.#rsv1, this.#opcode, payload)) return true
        this.#stopped = true
        return false
      }
    }
  }

  #payloadLength(n: number): boolean {
    if (this.#maxPayload > 0 && n > this.#maxPayload) return this.#fail(1009, `A frame of ${n} bytes is over maxMsgSize (${this.#maxPayload})`)
    this.#length = n
    this.#state = PAYLOAD
    return true
  }

  #fail(code: number, message: string): false {
    this.stop()
    this.#onError(new ProtocolViolation(code, message))
    return false
  }

  /** The next `n` buffered bytes (n ≤ buffered): a view when they sit in one chunk, else a copy. */
  #consume(n: number): Buffer {
    this.#buffered -= n
    const first = this.#chunks[0]!
    if (n === first.length) {
      this.#chunks.shift()
      return first
    }
    if (n < first.length) {
      this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let off = 0
    while (off < n) {
      const c = this.#chunks[0]!
      const take = Math.min(c.length, n - off)
      c.copy(out, off, 0, take)
      off += take
      if (take === c.length) this.#chunks.shift()
      else this.#chunks[0] = c.subarray(take)
    }
    return out
  }
}
