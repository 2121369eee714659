// The one llhttp WASM instance of the process, and the one input buffer inside its memory.
// Every ResponseParser allocates its `llhttp_t` here; the parser copies each chunk into the shared
// input buffer and runs llhttp_execute over it. Nothing in here allocates per call except when the
// input buffer has to grow.

/** The exports of llhttp's standard WASM build that the glue uses. */
export interface LlhttpExports {
  readonly memory: WebAssembly.Memory
  _initialize(): void
  malloc(size: number): number
  free(ptr: number): void
  llhttp_alloc(type: number): number
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

export class LlhttpRuntime {
  readonly exports: LlhttpExports
  /** A view of the whole WASM memory; re-created when memory grows (see `memory()`). */
  #u8: Uint8Array
  #inputPtr = 0
  #inputCapacity = 0
  /** True while a parser's bytes sit in the shared input buffer (llhttp_execute on the stack). */
  #inputBusy = false
  readonly #freeParsers: number[] = []
  readonly #errnoNames = new Map<number, string>()

  constructor(bytes: Uint8Array<ArrayBuffer>, callbacks: LlhttpCallbacks) {
    const module = new WebAssembly.Module(bytes)
    const instance = new WebAssembly.Instance(module, { env: callbacks as unknown as WebAssembly.ModuleImports })
    this.exports = instance.exports as unknown as LlhttpExports
    this.exports._initialize()
    this.#u8 = new Uint8Array(this.exports.memory.buffer)
    this.#growInput(INITIAL_INPUT)
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
   * Copies `chunk` into WASM memory and returns its address: the shared input buffer (grown when
   * the chunk is larger), or — when that buffer is in use by an execute() further up the stack (a
   * handler feeding another parser) — a temporary allocation that `release()` frees.
   */
  acquireInput(chunk: Uint8Array): number {
    const length = chunk.length
    let ptr: number
    if (this.#inputBusy) {
      ptr = this.exports.malloc(length)
      if (ptr === 0) throw new Error('@sonic/parser: out of WASM memory')
    } else {
      if (length > this.#inputCapacity) this.#growInput(length)
      ptr = this.#inputPtr
      this.#inputBusy = true
    }
    this.memory().set(chunk, ptr)
    return ptr
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
