// The glue reads a few llhttp_t fields straight from WASM memory (constants.ts). Check those
// offsets against llhttp's own getters on a separate instance of the same binary.
import { describe, expect, it } from 'vitest'
import { F_CHUNKED, F_CONTENT_LENGTH, OFFSET_CONTENT_LENGTH, OFFSET_FLAGS, OFFSET_HTTP_MAJOR, OFFSET_HTTP_MINOR, TYPE_RESPONSE } from './constants.js'
import { llhttpWasmBytes } from './llhttp-binary.js'
import { LlhttpRuntime, type LlhttpCallbacks } from './llhttp-runtime.js'

describe('llhttp_t layout', () => {
  it('the offsets used by the glue match llhttp getters', () => {
    const seen: Array<{ major: number; minor: number; flags: number; length: number; getters: number[] }> = []
    let runtime: LlhttpRuntime | null = null
    const zero = () => 0
    const callbacks: LlhttpCallbacks = {
      wasm_on_message_begin: zero,
      wasm_on_url: zero,
      wasm_on_status: zero,
      wasm_on_header_field: zero,
      wasm_on_header_value: zero,
      wasm_on_body: zero,
      wasm_on_message_complete: zero,
      wasm_on_headers_complete: (p) => {
        const view = new DataView(runtime!.exports.memory.buffer)
        const e = runtime!.exports
        seen.push({
          major: view.getUint8(p + OFFSET_HTTP_MAJOR),
          minor: view.getUint8(p + OFFSET_HTTP_MINOR),
          flags: view.getUint16(p + OFFSET_FLAGS, true),
          length: Number(view.getBigUint64(p + OFFSET_CONTENT_LENGTH, true)),
          getters: [e.llhttp_get_http_major(p), e.llhttp_get_http_minor(p)],
        })
        return 0
      },
    }
    runtime = new LlhttpRuntime(llhttpWasmBytes(), callbacks)
    const p = runtime.allocParser(TYPE_RESPONSE)
    const input = Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 4660\r\n\r\n', 'latin1')
    const ptr = runtime.acquireInput(input)
    expect(runtime.exports.llhttp_execute(p, ptr, input.length)).toBe(0)
    runtime.release(ptr)
    runtime.exports.llhttp_reset(p)
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1')
    const ptr2 = runtime.acquireInput(chunked)
    expect(runtime.exports.llhttp_execute(p, ptr2, chunked.length)).toBe(0)
    runtime.release(ptr2)
    expect(seen).toHaveLength(2)
    expect(seen[0]).toMatchObject({ major: 1, minor: 0, length: 4660, getters: [1, 0] })
    expect(seen[0]!.flags & F_CONTENT_LENGTH).toBe(F_CONTENT_LENGTH)
    expect(seen[1]).toMatchObject({ major: 1, minor: 1, getters: [1, 1] })
    expect(seen[1]!.flags & F_CHUNKED).toBe(F_CHUNKED)
    expect(runtime.errnoName(12)).toBe('HPE_INVALID_CHUNK_SIZE')
  })

  it('grows the shared input buffer for chunks larger than it', () => {
    const zero = () => 0
    const runtime = new LlhttpRuntime(llhttpWasmBytes(), {
      wasm_on_message_begin: zero,
      wasm_on_url: zero,
      wasm_on_status: zero,
      wasm_on_header_field: zero,
      wasm_on_header_value: zero,
      wasm_on_headers_complete: zero,
      wasm_on_body: zero,
      wasm_on_message_complete: zero,
    })
    const big = new Uint8Array(300_000).fill(7)
    const ptr = runtime.acquireInput(big)
    expect(runtime.memory().subarray(ptr, ptr + big.length).every((b) => b === 7)).toBe(true)
    // While that buffer is busy, a second chunk gets its own allocation.
    const other = runtime.acquireInput(new Uint8Array([1, 2, 3]))
    expect(other).not.toBe(ptr)
    runtime.release(other)
    runtime.release(ptr)
    expect(runtime.acquireInput(new Uint8Array(10))).toBe(ptr)
  })
})
