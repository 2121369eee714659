// ResponseParser: llhttp (WASM) driven with zero-copy glue. The hot path, top to bottom:
//   execute(chunk) has the runtime place the chunk in its one input buffer and run llhttp_execute,
//   copying only the bytes llhttp reads (body bytes it merely counts are skipped: runtime.execute);
//   llhttp calls back wasm_on_* with (parser pointer, address, length); the callbacks turn the
//   address back into an offset in the caller's chunk (address - input address) and either record
//   it (status, header names/values: HeadRecord) or hand out chunk.subarray() (body).
// No strings are made and nothing is copied out of WASM memory unless someone asks for a header.
// Limits are judged where llhttp reads, the same however the bytes are split: a head, a trailer
// section or a chunk-size line never gets more bytes than its limit in one llhttp run, so a chunk
// may take a few runs (stopped at a message's start or before a chunk-size line, or capped).
// Such runs reuse the bytes already copied (head-size.ts, chunk-line.ts, tests in test/fuzz.test.ts).
import { HttpParserError, InvalidArgumentError, ResponseTooLargeError } from '@sonic/core'
import {
  F_CHUNKED,
  F_CONNECTION_CLOSE,
  F_CONNECTION_KEEP_ALIVE,
  F_CONTENT_LENGTH,
  HPE_OK,
  HPE_PAUSED,
  HPE_PAUSED_UPGRADE,
  OFFSET_CONTENT_LENGTH,
  OFFSET_FLAGS,
  OFFSET_HTTP_MAJOR,
  OFFSET_HTTP_MINOR,
  PAUSE,
  SKIP_BODY,
  TYPE_RESPONSE,
} from './constants.js'
import { ChunkLine, MAX_CHUNK_LINE } from './chunk-line.js'
import { HeadRecord } from './head-record.js'
import { HeadSize } from './head-size.js'
import { llhttpWasmBytes } from './llhttp-binary.js'
import { getRuntime, type LlhttpCallbacks, type LlhttpRuntime } from './llhttp-runtime.js'
import { DEFAULT_MAX_HEADER_SIZE, type ResponseParserOptions } from './options.js'

export type { ResponseParserOptions } from './options.js'

const EMPTY = new Uint8Array(0)
/** Buffer's native indexOf (works on any Uint8Array). */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array | number, from: number) => number
const CRLF_CRLF = new Uint8Array([13, 10, 13, 10])

/** Message phases. */
const IDLE = 0
const HEAD = 1
const BODY = 2

/** WASM parser pointer → parser, for callbacks (the one running execute() is also kept in `active`). */
const parsers = new Map<number, ResponseParser>()
let active: ResponseParser | null = null
let activePtr = 0
let callbacks: LlhttpCallbacks | undefined

/**
 * An HTTP/1.x response parser: llhttp 9 compiled to WASM, with strict parsing (no lenient flags).
 * One WASM instance serves every parser of the process. Body bytes are delivered as views into the
 * chunks given to `execute()`; header strings are decoded only when asked for.
 *
 * Handlers are plain properties, assigned once. The head (`statusCode`, `headersFlat()`, …) is
 * valid from `onHeaders` until the next message begins. Header strings are read lazily from the
 * chunk in which the head completed: do not modify that chunk before reading them. Trailer fields
 * of a chunked body (`trailersFlat()`, `trailer()`) likewise, from `onComplete`, from the chunk in
 * which the message completed; a response without trailers costs nothing for them.
 *
 * @example
 * ```ts
 * const parser = new ResponseParser()
 * parser.onHeaders = (p) => console.log(p.statusCode, p.headersFlat())
 * parser.onBody = (chunk) => void process.stdout.write(chunk)
 * parser.onComplete = (p) => console.log('done, keep-alive:', p.keepAlive)
 * socket.on('data', (chunk) => parser.execute(chunk))
 * socket.on('end', () => parser.finish())
 * ```
 */
export class ResponseParser {
  /** Called when a head is complete (also for 1xx). Return SKIP_BODY when the response has no body (HEAD). */
  onHeaders: ((parser: ResponseParser) => number | void) | null = null
  /** Called with each piece of body, a view into the chunk given to execute(). Return PAUSE to pause. */
  onBody: ((chunk: Uint8Array) => number | void) | null = null
  /** Called when a message is complete. Return PAUSE to pause before the bytes that follow it. */
  onComplete: ((parser: ResponseParser) => number | void) | null = null
  /**
   * Whether the request being answered asked to switch protocols (sent `Upgrade`). Set it before
   * feeding each response: `false` makes a 101 an HttpParserError (HPE_UNEXPECTED_UPGRADE),
   * `true` lets a 101 switch protocols (`upgrade`). `null` (the default) does not check, as
   * before. Kept across reset().
   */
  expectUpgrade: boolean | null = null

  readonly #rt: LlhttpRuntime
  readonly #size: HeadSize
  readonly #head = new HeadRecord()
  /** The trailer fields of a chunked body: created when the first one arrives, then reused. */
  #trailers: HeadRecord | null = null
  #ptr: number
  #executing = false
  #destroyAfter = false
  /** The chunk being executed, a plain Uint8Array over it (body views), its address in WASM memory. */
  #chunk: Uint8Array = EMPTY
  #view: Uint8Array = EMPTY
  #base = 0
  #phase = IDLE
  #paused = false
  #upgraded = false
  /**
   * llhttp was stopped (paused, resumed at once) at the first byte of a message (#messageBegin):
   * execute() goes on from there, as from the start of a read.
   */
  #capNext = false
  /** Stopped in #messageBegin: the next run begins with a message llhttp has begun. */
  #begun = false
  /** A message completed in the current run (see #messageBegin). */
  #completedInRun = false
  /** The error execute()/finish() threw; thrown again until reset(). */
  #failure: unknown = null
  /** An error raised inside a callback (limit or handler exception), thrown once llhttp returns. */
  #pending: unknown = null
  // The current message's head.
  #statusCode = 0
  #statusText: string | null = null
  #versionMajor = 0
  #versionMinor = 0
  #keepAlive = false
  #upgrade = false
  #chunked = false
  #contentLength: number | null = null
  /** The chunk-size line being read (chunked bodies). */
  readonly #line = new ChunkLine()

  static {
    const of = (ptr: number): ResponseParser => (ptr === activePtr ? active! : parsers.get(ptr)!)
    callbacks = {
      wasm_on_message_begin: (p) => of(p).#messageBegin(),
      wasm_on_url: () => 0,
      wasm_on_status: (p, at, length) => of(p).#status(at, length),
      wasm_on_header_field: (p, at, length) => of(p).#field(at, length),
      wasm_on_header_value: (p, at, length) => of(p).#value(at, length),
      wasm_on_headers_complete: (p, status, upgrade, keepAlive) => of(p).#headersComplete(status, upgrade, keepAlive),
      wasm_on_body: (p, at, length) => of(p).#body(at, length),
      wasm_on_message_complete: (p) => of(p).#messageComplete(),
    }
  }

  constructor(options?: ResponseParserOptions) {
    const max = options?.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE
    if (!Number.isSafeInteger(max) || max <= 0) {
      throw new InvalidArgumentError(`maxHeaderSize must be a positive integer, got ${String(max)}`)
    }
    this.#size = new HeadSize(max)
    this.#rt = getRuntime(llhttpWasmBytes, callbacks!)
    this.#ptr = this.#rt.allocParser(TYPE_RESPONSE)
    parsers.set(this.#ptr, this)
  }

  /**
   * Feeds bytes. Returns the number consumed: `chunk.length`, or less when a handler returned
   * PAUSE (call `resume()`, then `execute(chunk.subarray(consumed))`) or when the response
   * switched protocols (`upgrade`: the rest belongs to the new protocol). Returns 0 while paused.
   * Throws HttpParserError (malformed response) or ResponseTooLargeError (head over the limit);
   * the parser then stays failed until `reset()`.
   */
  execute(chunk: Uint8Array): number {
    this.#usable()
    if (this.#paused || this.#upgraded) return 0
    this.#size.chunk()
    let consumed = this.#step(chunk, 0)
    // llhttp was stopped inside the chunk (#capNext): go on from there.
    while (this.#capNext) {
      this.#capNext = false
      if (consumed === chunk.length || this.#paused || this.#upgraded || this.#ptr === 0) break
      consumed = this.#step(chunk, consumed)
    }
    if (this.#ptr !== 0) this.#endChunk(chunk, consumed)
    return consumed
  }

  /** Runs llhttp over `chunk` from `begin` (to its end, or to where it stops); returns where it stopped. */
  #step(chunk: Uint8Array, begin: number): number {
    // A head in progress (or one beginning here) may take only the bytes left of the limit:
    // llhttp reports a span only when it ends, so a long line in one chunk would be read past
    // the limit (and fail differently than when split). Only for chunks larger than the room
    // left, so ordinary reads pay nothing.
    if (this.#phase !== BODY) {
      const room = this.#phase === HEAD ? this.#size.roomAt(begin) : this.#size.limit
      if (room <= 0 && chunk.length > begin) this.#fail(-1, new ResponseTooLargeError(this.#size.limit))
      if (chunk.length - begin > room) return this.#runCapped(chunk, begin, room)
    } else {
      const line = this.#line
      if (line.open) {
        // A chunk-size line goes on in this chunk: llhttp may read it up to its limit, no further.
        const over = line.overAt(chunk, begin)
        if (over >= 0) {
          if (over > begin) this.#run(chunk, begin, over)
          this.#fail(-1, new HttpParserError(`chunk-size line (size and extensions) over ${MAX_CHUNK_LINE} bytes`, 'HPE_CHUNK_EXTENSIONS_OVERFLOW'))
        }
      }
      // The trailer section may take as many bytes as a head, counted from its first one.
      const end = line.trailersAt + this.#size.limit
      if (end < chunk.length) {
        const at = end > begin ? this.#run(chunk, begin, end) : begin
        // Still in the same trailers (a message that began after them has reset trailersAt).
        if (this.#phase === BODY && line.trailersAt + this.#size.limit === end && at >= end && !this.#paused && this.#ptr !== 0) {
          this.#fail(-1, new ResponseTooLargeError(this.#size.limit))
        }
        return at < end || this.#ptr === 0 ? at : this.#step(chunk, at)
      }
    }
    return this.#run(chunk, begin, chunk.length)
  }

  /** #step() for more bytes than the head's room: never gives llhttp head bytes past the limit. */
  #runCapped(chunk: Uint8Array, begin: number, room: number): number {
    const end = begin + room
    // Before a message begins llhttp skips empty lines: their CRLFs are no head's end.
    let from = begin
    if (this.#phase !== HEAD) while (from < chunk.length && (chunk[from] === 13 || chunk[from] === 10)) from++
    const found = indexOf.call(chunk, CRLF_CRLF, from)
    // The head ends within its room: the rest of the chunk is ordinary input.
    if (found >= 0 && found + 4 <= end) return this.#run(chunk, begin, chunk.length)
    const at = this.#run(chunk, begin, end)
    if (at < end || this.#paused || this.#upgraded || this.#ptr === 0) return at
    // The head took all its room and is not complete: over the limit. (A head in progress here
    // may also be the next message's, begun after this one ended within the room — its CRLF CRLF
    // began in an earlier chunk: that one has room left.)
    if (this.#phase === HEAD && this.#size.roomAt(at) <= 0) this.#fail(-1, new ResponseTooLargeError(this.#size.limit))
    return this.#step(chunk, at)
  }

  /** ResponseParser.execute() returns after `consumed` bytes of `chunk`: the limit of a head in progress. */
  #endChunk(chunk: Uint8Array, consumed: number): void {
    this.#line.shift(consumed)
    if (this.#phase === HEAD) {
      if (!this.#size.pending(chunk, consumed)) this.#fail(-1, new ResponseTooLargeError(this.#size.limit))
      this.#head.detach()
    } else if (this.#phase === BODY && this.#trailers !== null && this.#trailers.headerCount !== 0) {
      // A trailer section in progress: its pieces must not point into the caller's chunk.
      this.#trailers.detach()
    }
  }

  /**
   * End of input (the peer closed). Completes a read-until-close body (calling `onComplete`).
   * Returns true when the EOF was clean: no message in progress, or one completed by it (also
   * after an upgrade). Throws HttpParserError (HPE_INVALID_EOF_STATE) when a message is
   * incomplete. Returns false when the parser had already failed (that error was thrown before).
   */
  finish(): boolean {
    if (this.#failure !== null) return false
    this.#usable()
    if (this.#upgraded) return true
    const rt = this.#rt
    if (this.#paused) this.resume()
    const outerActive = active
    const outerPtr = activePtr
    active = this
    activePtr = this.#ptr
    this.#executing = true
    let code: number
    try {
      code = rt.exports.llhttp_finish(this.#ptr)
    } finally {
      active = outerActive
      activePtr = outerPtr
      this.#executing = false
    }
    if (code !== HPE_OK && code !== HPE_PAUSED) this.#fail(code)
    if (this.#destroyAfter) this.destroy()
    return true
  }

  /**
   * Continues after a handler returned PAUSE, then feed the unconsumed bytes again. Steps that
   * need no more input run at once: a message whose last body piece was paused on completes
   * here (onComplete is called from resume()).
   */
  resume(): void {
    if (!this.#paused || this.#ptr === 0) return
    this.#rt.exports.llhttp_resume(this.#ptr)
    this.#paused = false
    if (!this.#executing && this.#failure === null) this.#run(EMPTY, 0, 0)
  }

  /** Ready for a new response on the same connection, whatever state the parser was in. */
  reset(): void {
    if (this.#ptr === 0) throw new InvalidArgumentError('ResponseParser is destroyed')
    if (this.#executing) throw new InvalidArgumentError('ResponseParser.reset() called from one of its own handlers')
    this.#rt.exports.llhttp_reset(this.#ptr)
    this.#clearState()
  }

  /** Frees the parser state inside WASM (kept on a free list for the next parser). Idempotent. */
  destroy(): void {
    if (this.#ptr === 0) return
    if (this.#executing) {
      this.#destroyAfter = true
      return
    }
    parsers.delete(this.#ptr)
    this.#rt.freeParser(this.#ptr)
    this.#ptr = 0
    this.#clearState()
  }

  /** True when a response is partially parsed (head or body bytes seen, not complete). */
  get inMessage(): boolean {
    return this.#phase !== IDLE
  }

  /** Status code of the current response (0 before the first head). */
  get statusCode(): number {
    return this.#statusCode
  }

  /** Reason phrase, decoded as latin1 on first access. */
  get statusText(): string {
    return (this.#statusText ??= this.#head.statusText())
  }

  get versionMajor(): number {
    return this.#versionMajor
  }

  get versionMinor(): number {
    return this.#versionMinor
  }

  /** Whether the connection may be reused after this response (llhttp_should_keep_alive). */
  get keepAlive(): boolean {
    return this.#keepAlive
  }

  /** The response switches protocols (a 101, with an Upgrade header or not); parsing stops after its head. */
  get upgrade(): boolean {
    return this.#upgrade
  }

  /** `Transfer-Encoding: chunked`. */
  get chunked(): boolean {
    return this.#chunked
  }

  /** The Content-Length header's value, or null without one. */
  get contentLength(): number | null {
    return this.#contentLength
  }

  get headerCount(): number {
    return this.#head.headerCount
  }

  /** Header names and values, latin1, in received order: [name, value, name, value, …] (a fresh array). */
  headersFlat(): string[] {
    return this.#head.flat()
  }

  /** Value of the first header named `lowerName` (case-insensitive), or null; decodes only that value. */
  header(lowerName: string): string | null {
    return this.#head.find(lowerName)
  }

  /**
   * Number of trailer fields after the last chunk of a chunked body. Valid from `onComplete`
   * until the next message begins (0 for responses without trailers).
   */
  get trailerCount(): number {
    return this.#trailers === null ? 0 : this.#trailers.headerCount
  }

  /**
   * Trailer names and values, latin1, in received order: [name, value, …] (a fresh array; empty
   * without trailers). Valid from `onComplete` until the next message begins; like the head's
   * strings they are decoded from the chunk in which the message completed, on first use.
   */
  trailersFlat(): string[] {
    return this.#trailers === null ? [] : this.#trailers.flat()
  }

  /** Value of the first trailer field named `lowerName` (case-insensitive), or null. */
  trailer(lowerName: string): string | null {
    return this.#trailers === null ? null : this.#trailers.find(lowerName)
  }

  // ---- llhttp callbacks (return 0 to go on, HPE_PAUSED to pause, -1 to stop with #pending) ----

  #messageBegin(): number {
    this.#phase = HEAD
    this.#head.clear()
    this.#trailers?.clear()
    this.#statusCode = 0
    this.#statusText = null
    this.#contentLength = null
    this.#line.reset()
    this.#size.begin()
    // A message that begins after another in the same read, with more bytes after it than a
    // head may have: stop llhttp at its first byte, for execute() to give it only its room
    // (llhttp would otherwise read a long line to the end of the chunk before a span ends and
    // the limit is checked, and fail differently than when the bytes come split). Reads are
    // rarely larger than the limit, so this hardly ever stops.
    const at = this.#size.lastEnd
    if (this.#completedInRun && this.#chunk.length - at > this.#size.limit) {
      this.#begun = true
      return this.#stop()
    }
    return 0
  }

  #status(at: number, length: number): number {
    const start = at - this.#base
    this.#head.status(this.#chunk, start, start + length)
    return this.#size.status(start, start + length) ? 0 : this.#tooLarge()
  }

  #field(at: number, length: number): number {
    const start = at - this.#base
    if (this.#phase !== HEAD) return this.#trailer(start, length, true)
    this.#head.field(this.#chunk, start, start + length)
    return this.#size.field(start, start + length) ? 0 : this.#tooLarge()
  }

  #value(at: number, length: number): number {
    const start = at - this.#base
    if (this.#phase !== HEAD) return this.#trailer(start, length, false)
    this.#head.value(this.#chunk, start, start + length)
    return this.#size.value(this.#chunk, start, start + length) ? 0 : this.#tooLarge()
  }

  /** A trailer field's name (`isName`) or value span: recorded like a head's (their limit: #step()). */
  #trailer(start: number, length: number, isName: boolean): number {
    const end = start + length
    this.#size.trailer(end)
    const record = (this.#trailers ??= new HeadRecord())
    if (isName) record.field(this.#chunk, start, end)
    else record.value(this.#chunk, start, end)
    return 0
  }

  #tooLarge(): number {
    this.#pending = new ResponseTooLargeError(this.#size.limit)
    return -1
  }

  #headersComplete(statusCode: number, upgrade: number, keepAlive: number): number {
    if (!this.#size.complete()) return this.#tooLarge()
    this.#phase = BODY
    const u8 = this.#rt.memory()
    const p = this.#ptr
    const flags = u8[p + OFFSET_FLAGS]! | (u8[p + OFFSET_FLAGS + 1]! << 8)
    this.#statusCode = statusCode
    this.#versionMajor = u8[p + OFFSET_HTTP_MAJOR]!
    this.#versionMinor = u8[p + OFFSET_HTTP_MINOR]!
    // An HTTP/1 connection carries 1.0 and 1.1 only (as curl), and statuses start at 100.
    if (this.#versionMajor !== 1 || this.#versionMinor > 1) {
      this.#pending = new HttpParserError(`HTTP/${this.#versionMajor}.${this.#versionMinor} is not HTTP/1.0 or HTTP/1.1`, 'HPE_INVALID_VERSION')
      return -1
    }
    if (statusCode < 100) {
      this.#pending = new HttpParserError(`status ${String(statusCode).padStart(3, '0')} is below 100`, 'HPE_INVALID_STATUS')
      return -1
    }
    if (statusCode === 101 && this.expectUpgrade === false) {
      this.#pending = new HttpParserError('101 Switching Protocols to a request that did not ask to upgrade', 'HPE_UNEXPECTED_UPGRADE')
      return -1
    }
    this.#upgrade = upgrade === 1
    this.#keepAlive = keepAlive === 1
    this.#chunked = (flags & F_CHUNKED) !== 0
    if ((flags & F_CONTENT_LENGTH) !== 0) {
      const o = p + OFFSET_CONTENT_LENGTH
      const low = (u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24)) >>> 0
      const high = (u8[o + 4]! | (u8[o + 5]! << 8) | (u8[o + 6]! << 16) | (u8[o + 7]! << 24)) >>> 0
      this.#contentLength = high === 0 ? low : high * 0x1_0000_0000 + low
    }
    // The first chunk-size line begins right after the head.
    const stop = this.#chunked && this.#line.beginAt(this.#chunk, this.#size.headEnd(this.#chunk), this.#size.limit)
    const handler = this.onHeaders
    try {
      if (handler === null || handler(this) !== SKIP_BODY) return stop ? this.#stop() : 0
    } catch (error) {
      this.#pending = error
      return -1
    }
    this.#line.reset()
    // No body: nothing to read until EOF, so llhttp_should_keep_alive reduces to the version and
    // Connection rules (llhttp sets F_SKIPBODY only after this returns).
    const http11 = this.#versionMajor > 0 && this.#versionMinor > 0
    this.#keepAlive = http11 ? (flags & F_CONNECTION_CLOSE) === 0 : (flags & F_CONNECTION_KEEP_ALIVE) !== 0
    return SKIP_BODY
  }

  #body(at: number, length: number): number {
    const start = at - this.#base
    this.#size.body(start + length)
    // The end of a chunk's data: the next chunk-size line begins after its CRLF.
    const stop = this.#chunked && this.#rt.contentLength(this.#ptr) === 0 && this.#line.beginAt(this.#chunk, start + length + 2, this.#size.limit)
    const handler = this.onBody
    if (length !== 0 && handler !== null) {
      try {
        if (handler(this.#view.subarray(start, start + length)) === PAUSE) return HPE_PAUSED
      } catch (error) {
        this.#pending = error
        return -1
      }
    }
    return stop ? this.#stop() : 0
  }

  /** Stops llhttp here, for execute() to go on from the next byte (see #capNext). */
  #stop(): number {
    this.#capNext = true
    return HPE_PAUSED
  }

  #messageComplete(): number {
    // keepAlive stays as decided at headers complete (SKIP_BODY included): llhttp's answer
    // depends only on the head.
    this.#phase = IDLE
    const handler = this.onComplete
    if (handler !== null) {
      try {
        if (handler(this) === PAUSE) return HPE_PAUSED
      } catch (error) {
        this.#pending = error
        return -1
      }
    }
    this.#completedInRun = true
    return 0
  }

  // ---- internals ----

  /**
   * Runs llhttp over bytes [begin, end) of `chunk` (none: that runs steps pending after a
   * resume()); returns where it stopped. Runs after the first in one execute() (after a stop,
   * or a capped head) find the bytes already copied into WASM memory in place.
   */
  #run(chunk: Uint8Array, begin: number, end: number): number {
    const rt = this.#rt
    const length = end - begin
    // Body bytes ahead are not copied; bytes that are all body need no room in WASM memory.
    const ahead = length === 0 ? 0 : rt.bodyAhead(this.#ptr)
    if (this.#begun && length !== 0) {
      this.#begun = false
      rt.messageBegun()
    }
    const base = ahead > length ? 0 : rt.acquireInput(chunk.length)
    const outerActive = active
    const outerPtr = activePtr
    active = this
    activePtr = this.#ptr
    this.#executing = true
    this.#chunk = chunk
    // Body views are cut from a plain Uint8Array: much cheaper than Buffer#subarray (FastBuffer).
    this.#view = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)
    this.#base = base
    this.#completedInRun = false
    let code: number
    try {
      code = rt.execute(this.#ptr, chunk, base, ahead, begin, end, begin !== 0)
    } finally {
      active = outerActive
      activePtr = outerPtr
      this.#executing = false
      this.#chunk = EMPTY
      this.#view = EMPTY
      if (base !== 0) rt.release(base)
    }
    let at = end
    if (code !== HPE_OK) {
      if (code === HPE_PAUSED) {
        // An internal stop (#capNext): not a pause the caller sees. At a message's first byte
        // (#begun), the head begins exactly there.
        if (!this.#capNext) this.#paused = true
        else {
          rt.exports.llhttp_resume(this.#ptr)
          if (this.#begun) this.#size.startAt(rt.consumed)
        }
      } else if (code === HPE_PAUSED_UPGRADE) {
        // llhttp switches on any 101 (and CONNECT), Upgrade header or not: say so.
        this.#upgraded = true
        this.#upgrade = true
      } else this.#fail(code)
      at = rt.consumed
    }
    if (this.#destroyAfter) this.destroy()
    return at
  }

  #usable(): void {
    if (this.#failure !== null) throw this.#failure
    if (this.#ptr === 0) throw new InvalidArgumentError('ResponseParser is destroyed')
    if (this.#executing) throw new InvalidArgumentError('ResponseParser.execute() called from one of its own handlers')
  }

  /** Records and throws the error for llhttp's `code` (or the one a callback left in #pending). */
  #fail(code: number, error?: unknown): never {
    let failure = error ?? this.#pending
    this.#pending = null
    if (failure === null || failure === undefined) {
      const rt = this.#rt
      failure = new HttpParserError(rt.cString(rt.exports.llhttp_get_error_reason(this.#ptr)), rt.errnoName(code))
    }
    this.#failure = failure
    throw failure
  }

  #clearState(): void {
    this.#head.clear()
    this.#trailers?.clear()
    this.#chunk = EMPTY
    this.#phase = IDLE
    this.#paused = false
    this.#upgraded = false
    this.#capNext = false
    this.#begun = false
    this.#failure = null
    this.#pending = null
    this.#destroyAfter = false
    this.#size.reset()
    this.#statusCode = 0
    this.#statusText = null
    this.#versionMajor = 0
    this.#versionMinor = 0
    this.#keepAlive = false
    this.#upgrade = false
    this.#chunked = false
    this.#contentLength = null
    this.#line.reset()
  }
}
