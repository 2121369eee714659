// The one llhttp WASM instance of the process, and the one input buffer inside its memory.
// Every ResponseParser allocates its `llhttp_t` here; execute() runs llhttp over a chunk placed in
// the shared input buffer, copying there only the bytes llhttp reads: body bytes it merely counts
// are skipped (see bodyAhead() and docs/parser.md). Nothing in here allocates per call except when
// the input buffer has to grow.
import { discoverBodyStates, type BodyStates } from './body-states.js'
import { OFFSET_CONTENT_LENGTH, OFFSET_CURRENT, OFFSET_ERROR } from './constants.js'

/** The exports of llhttp's standard WASM build that the glue uses. */
export interface LlhttpExports {
  readonly memory: WebAssembly.Memory
  _initialize(): void
  malloc(size: number): number
  free(ptr: number): void
  llhttp_alloc(type: number): number
  llhttp_init(parser: number, type: number, settings: number): void
  llhttp_settings_init(settings: number): void
  llhttp_free(parser: number): void
  llhttp_reset(parser: number): void
  llhttp_execute(parser: number, data: number, length: number): number
  llhttp_finish(parser: number): number
  llhttp_pause(parser: number): void
  llhttp_resume(parser: number): void
  llhttp_get_status_code(parser: number): number
  llhttp_get_http_major(parser: number): number
  llhttp_get_http_minor(parser: number): number
  llhttp_get_upgrade(parser: number): number
  llhttp_should_keep_alive(parser: number): number
  llhttp_message_needs_eof(parser: number): number
  llhttp_get_errno(parser: number): number
  llhttp_get_error_reason(parser: number): number
  llhttp_get_error_pos(parser: number): number
  llhttp_errno_name(errno: number): number
}

/** The imports llhttp's WASM build calls back into (`env.wasm_on_*`). */
export interface LlhttpCallbacks {
  wasm_on_message_begin(parser: number): number
  wasm_on_url(parser: number, at: number, length: number): number
  wasm_on_status(parser: number, at: number, length: number): number
  wasm_on_header_field(parser: number, at: number, length: number): number
  wasm_on_header_value(parser: number, at: number, length: number): number
  wasm_on_headers_complete(parser: number, statusCode: number, upgrade: number, shouldKeepAlive: number): number
  wasm_on_body(parser: number, at: number, length: number): number
  wasm_on_message_complete(parser: number): number
}

/** Initial size of the shared input buffer: one typical socket read. */
const INITIAL_INPUT = 64 * 1024
/** Parser states kept for reuse after destroy(). */
const FREE_LIST_MAX = 256
/** Buffer's native indexOf (works on any Uint8Array): finds the end of a head. */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array, from: number) => number
const CRLF_CRLF = new Uint8Array([13, 10, 13, 10])

/**
 * execute() stops llhttp at the end of a head only when at least this many bytes follow it, and
 * goes on doing so in a chunk only while the bodies found are at least this long (one stop costs
 * about as much as copying a few KiB).
 */
let splitMin = 4096
let skipBodies = true

/**
 * For tests (not exported by the package): `splitMin` 0 stops llhttp at every head end, Infinity
 * never; `skipBodies` false copies every byte and runs llhttp once over the whole chunk (the
 * plain path). Returns the previous settings.
 */
export function tuneInput(tuning: { splitMin?: number; skipBodies?: boolean }): { splitMin: number; skipBodies: boolean } {
  const previous = { splitMin, skipBodies }
  splitMin = tuning.splitMin ?? splitMin
  skipBodies = tuning.skipBodies ?? skipBodies
  return previous
}

export class LlhttpRuntime {
  readonly exports: LlhttpExports
  /** Views of the whole WASM memory; re-created when memory grows (see `memory()`, `#words()`). */
  #u8: Uint8Array
  #u32: Uint32Array
  /** llhttp's body states in this binary; null (never expected) disables the no-copy path. */
  readonly #bodyStates: BodyStates | null
  #inputPtr = 0
  #inputCapacity = 0
  /** True while a parser's bytes sit in the shared input buffer (llhttp_execute on the stack). */
  #inputBusy = false
  readonly #freeParsers: number[] = []
  readonly #errnoNames = new Map<number, string>()
  /** What llhttp calls for body bytes; execute() calls it for the pieces it delivers itself. */
  readonly #onBody: LlhttpCallbacks['wasm_on_body']
  /** Set by bodyAhead(): a message begins right after the bytes it counted. */
  #messageNext = false
  /** Bytes copied into WASM memory by copyInput() so far (tests check what is not copied). */
  bytesCopied = 0
  /** Set by execute(): where in the chunk llhttp stopped (before `end` after a pause, an upgrade, an error). */
  consumed = 0
  /** The chunk and address of the last execute(), and the end of the bytes it copied (see `continued`). */
  #placedChunk: Uint8Array | null = null
  #placedBase = 0
  #placedTo = 0

  constructor(bytes: Uint8Array<ArrayBuffer>, callbacks: LlhttpCallbacks) {
    this.#onBody = callbacks.wasm_on_body
    const module = new WebAssembly.Module(bytes)
    const instance = new WebAssembly.Instance(module, { env: callbacks as unknown as WebAssembly.ModuleImports })
    this.exports = instance.exports as unknown as LlhttpExports
    this.exports._initialize()
    this.#u8 = new Uint8Array(this.exports.memory.buffer)
    this.#u32 = new Uint32Array(this.exports.memory.buffer)
    this.#bodyStates = discoverBodyStates(this.exports)
    this.#growInput(INITIAL_INPUT)
  }

  /** Whether the body states of the binary were found (the no-copy path is on). */
  get skipsBodyCopies(): boolean {
    return this.#bodyStates !== null
  }

  /** The current view of WASM memory (memory.grow detaches the old one). */
  memory(): Uint8Array {
    if (this.#u8.byteLength === 0) this.#u8 = new Uint8Array(this.exports.memory.buffer)
    return this.#u8
  }

  /** A response parser state (reused from destroyed parsers when possible). */
  allocParser(type: number): number {
    const reused = this.#freeParsers.pop()
    if (reused !== undefined) {
      this.exports.llhttp_reset(reused)
      return reused
    }
    const ptr = this.exports.llhttp_alloc(type)
    if (ptr === 0) throw new Error('@sonic/parser: out of WASM memory allocating a parser')
    return ptr
  }

  freeParser(ptr: number): void {
    if (this.#freeParsers.length < FREE_LIST_MAX) this.#freeParsers.push(ptr)
    else this.exports.llhttp_free(ptr)
  }

  /**
   * Runs llhttp over bytes [begin, end) of `chunk`, placed at `base` (acquireInput(chunk.length);
   * 0 when `ahead` is more than the bytes: then nothing is copied and llhttp not called). `ahead`
   * is what bodyAhead(parser) has just returned, with nothing run since (0 for no bytes).
   * `continued`: an earlier execute() ran over the same chunk at the same address in this same
   * ResponseParser.execute() (stopped before `begin`): the bytes it copied are in place and not
   * copied again. Copies into WASM memory only the bytes llhttp reads. Where llhttp is about to
   * step over body bytes (bodyAhead()), they are not copied, and if they fill the rest of the
   * bytes llhttp is not called: its consume step is done
   * here (consumeBody(), then on_body at the same address llhttp would give). To find bodies that
   * begin in the middle of the chunk, llhttp is stopped at the end of a head — the first CRLF CRLF
   * after a message start, exactly where strict llhttp ends it (no span is open there, so the
   * callbacks are the same as in one run). Returns llhttp's code (or on_body's); see `consumed`.
   */
  execute(parser: number, chunk: Uint8Array, base: number, ahead: number, begin: number, end: number, continued: boolean): number {
    const length = end
    let messageNext = length !== begin && this.#messageNext
    let code = 0
    // Only the shared input buffer keeps its bytes between runs (a freed temporary one may not).
    const placed = continued && chunk === this.#placedChunk && base === this.#placedBase && base === this.#inputPtr ? this.#placedTo : begin
    this.#placedChunk = chunk
    this.#placedBase = base
    this.#placedTo = placed
    // Bytes before `at` have been given to llhttp (or to on_body).
    for (let at = begin, split = true; ; ) {
      if (ahead > length - at) {
        if (ahead !== Infinity) this.consumeBody(parser, length - at)
        code = this.#onBody(parser, base + at, length - at)
        this.consumed = length
        return code
      }
      const from = at + ahead
      let stop = length
      if (split && messageNext && length - from >= splitMin) {
        const found = indexOf.call(chunk, CRLF_CRLF, from)
        if (found >= 0 && found + 4 <= length) stop = found + 4
      }
      this.copyInput(base, chunk, Math.max(from, this.#placedTo), stop)
      if (stop > this.#placedTo) this.#placedTo = stop
      code = this.exports.llhttp_execute(parser, base + at, stop - at)
      at = stop
      if (code !== 0) {
        this.consumed = this.exports.llhttp_get_error_pos(parser) - base
        return code
      }
      if (at === length) {
        this.consumed = length
        return code
      }
      ahead = this.bodyAhead(parser)
      messageNext = this.#messageNext
      // Small bodies (or none): stopping llhttp would cost more than it saves; copy the rest.
      if (ahead < splitMin) split = false
    }
  }

  /**
   * How many bytes at the start of the next input `parser` will step over without reading them:
   * the rest of a Content-Length body or of a chunk's data (llhttp's 64-bit `content_length`;
   * inexact above 2^53, which only ever gets compared with a chunk length), Infinity in a
   * read-until-close body, 0 in any other state (or when llhttp has an error set). Also notes
   * whether a message begins after those bytes (#messageNext).
   */
  bodyAhead(parser: number): number {
    const states = this.#bodyStates
    this.#messageNext = false
    if (states === null || !skipBodies) return 0
    const u32 = this.#words()
    const at = parser >>> 2
    if (u32[at + (OFFSET_ERROR >>> 2)] !== 0) return 0
    const state = u32[at + (OFFSET_CURRENT >>> 2)]
    if (state === states.messageStart) {
      this.#messageNext = true
      return 0
    }
    if (state === states.untilClose) return Infinity
    const endsMessage = state === states.contentLength || state === states.contentLengthStart
    if (!endsMessage && state !== states.chunkData && state !== states.chunkDataStart) return 0
    this.#messageNext = endsMessage
    return this.contentLength(parser)
  }

  /**
   * After bodyAhead(): the next input begins with a message that llhttp has already begun (stopped
   * at its first byte, in on_message_begin), so execute() may stop llhttp at its head's end as for
   * one that begins there.
   */
  messageBegun(): void {
    if (this.#bodyStates !== null && skipBodies) this.#messageNext = true
  }

  /** llhttp_t.content_length (64 bits; inexact above 2^53). */
  contentLength(parser: number): number {
    const u32 = this.#words()
    const low = (parser + OFFSET_CONTENT_LENGTH) >>> 2
    return u32[low + 1]! * 0x1_0000_0000 + u32[low]!
  }

  /**
   * What llhttp's consume step does with input that ends inside the body or chunk data:
   * `content_length -= count`, in 64 bits (count is less than content_length).
   */
  consumeBody(parser: number, count: number): void {
    const u32 = this.#words()
    const at = (parser + OFFSET_CONTENT_LENGTH) >>> 2
    const countHigh = Math.floor(count / 0x1_0000_0000)
    let low = u32[at]! - (count - countHigh * 0x1_0000_0000)
    let high = u32[at + 1]! - countHigh
    if (low < 0) {
      low += 0x1_0000_0000
      high--
    }
    u32[at] = low
    u32[at + 1] = high
  }

  /**
   * Room for `length` input bytes in WASM memory; returns its address: the shared input buffer
   * (grown when needed), or — when that buffer is in use by an execute() further up the stack (a
   * handler feeding another parser) — a temporary allocation that `release()` frees. Nothing is
   * copied: see copyInput().
   */
  acquireInput(length: number): number {
    let ptr: number
    if (this.#inputBusy) {
      ptr = this.exports.malloc(length)
      if (ptr === 0) throw new Error('@sonic/parser: out of WASM memory')
    } else {
      if (length > this.#inputCapacity) this.#growInput(length)
      ptr = this.#inputPtr
      this.#inputBusy = true
    }
    return ptr
  }

  /**
   * Copies bytes [from, to) of `chunk` to the same offsets of the input at `ptr`. Bytes llhttp will
   * step over (bodyAhead()) are never copied: their place keeps whatever it held, only the
   * addresses matter to llhttp.
   */
  copyInput(ptr: number, chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return
    const bytes = from === 0 && to === chunk.length ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset + from, to - from)
    this.memory().set(bytes, ptr + from)
    this.bytesCopied += to - from
  }

  release(ptr: number): void {
    if (ptr === this.#inputPtr) this.#inputBusy = false
    else this.exports.free(ptr)
  }

  /** A NUL-terminated ASCII string in WASM memory. */
  cString(ptr: number): string {
    const u8 = this.memory()
    let end = ptr
    while (end < u8.length && u8[end] !== 0) end++
    let s = ''
    for (let i = ptr; i < end; i++) s += String.fromCharCode(u8[i]!)
    return s
  }

  /** llhttp's name for an error number, e.g. `HPE_INVALID_CHUNK_SIZE`. */
  errnoName(errno: number): string {
    let name = this.#errnoNames.get(errno)
    if (name === undefined) {
      name = this.cString(this.exports.llhttp_errno_name(errno))
      this.#errnoNames.set(errno, name)
    }
    return name
  }

  #words(): Uint32Array {
    if (this.#u32.byteLength === 0) this.#u32 = new Uint32Array(this.exports.memory.buffer)
    return this.#u32
  }

  #growInput(needed: number): void {
    let capacity = Math.max(this.#inputCapacity, INITIAL_INPUT)
    while (capacity < needed) capacity *= 2
    if (this.#inputPtr !== 0) this.exports.free(this.#inputPtr)
    const ptr = this.exports.malloc(capacity)
    if (ptr === 0) throw new Error('@sonic/parser: out of WASM memory growing the input buffer')
    this.#inputPtr = ptr
    this.#inputCapacity = capacity
  }
}

let runtime: LlhttpRuntime | null = null

/** The process-wide runtime, created on first use. */
export function getRuntime(load: () => Uint8Array<ArrayBuffer>, callbacks: LlhttpCallbacks): LlhttpRuntime {
  return (runtime ??= new LlhttpRuntime(load(), callbacks))
}

/** Bytes the process-wide runtime has copied into WASM memory so far (for tests; not exported by the package). */
export function inputBytesCopied(): number {
  return runtime?.bytesCopied ?? 0
}
