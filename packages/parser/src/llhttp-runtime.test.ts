// The glue reads a few llhttp_t fields straight from WASM memory (constants.ts). Check those
// offsets against llhttp's own getters on a separate instance of the same binary.
import { describe, expect, it } from 'vitest'
import {
  F_CHUNKED,
  F_CONTENT_LENGTH,
  OFFSET_CONTENT_LENGTH,
  OFFSET_ERROR,
  OFFSET_ERROR_POS,
  OFFSET_FLAGS,
  OFFSET_HTTP_MAJOR,
  OFFSET_HTTP_MINOR,
  TYPE_RESPONSE,
} from './constants.js'
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
    const ptr = runtime.acquireInput(input.length)
    runtime.copyInput(ptr, input, 0, input.length)
    expect(runtime.exports.llhttp_execute(p, ptr, input.length)).toBe(0)
    runtime.release(ptr)
    runtime.exports.llhttp_reset(p)
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1')
    const ptr2 = runtime.acquireInput(chunked.length)
    runtime.copyInput(ptr2, chunked, 0, chunked.length)
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
    const ptr = runtime.acquireInput(big.length)
    runtime.copyInput(ptr, big, 0, big.length)
    expect(runtime.memory().subarray(ptr, ptr + big.length).every((b) => b === 7)).toBe(true)
    // While that buffer is busy, a second chunk gets its own allocation.
    const other = runtime.acquireInput(3)
    expect(other).not.toBe(ptr)
    runtime.release(other)
    runtime.release(ptr)
    expect(runtime.acquireInput(10)).toBe(ptr)
  })
})

describe('body states (bytes llhttp steps over without reading)', () => {
  const zero = () => 0
  const noCallbacks: LlhttpCallbacks = {
    wasm_on_message_begin: zero,
    wasm_on_url: zero,
    wasm_on_status: zero,
    wasm_on_header_field: zero,
    wasm_on_header_value: zero,
    wasm_on_headers_complete: zero,
    wasm_on_body: zero,
    wasm_on_message_complete: zero,
  }
  const run = (runtime: LlhttpRuntime, p: number, text: string): number => {
    const input = Buffer.from(text, 'latin1')
    const ptr = runtime.acquireInput(input.length)
    runtime.copyInput(ptr, input, 0, input.length)
    const code = runtime.exports.llhttp_execute(p, ptr, input.length)
    runtime.release(ptr)
    return code
  }

  it('the error fields around _current are where the glue reads them', () => {
    const runtime = new LlhttpRuntime(llhttpWasmBytes(), noCallbacks)
    const p = runtime.allocParser(TYPE_RESPONSE)
    const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'latin1')
    const ptr = runtime.acquireInput(input.length)
    runtime.copyInput(ptr, input, 0, input.length)
    const code = runtime.exports.llhttp_execute(p, ptr, input.length)
    runtime.release(ptr)
    const view = new DataView(runtime.exports.memory.buffer)
    expect(code).not.toBe(0)
    expect(view.getInt32(p + OFFSET_ERROR, true)).toBe(runtime.exports.llhttp_get_errno(p))
    expect(view.getUint32(p + OFFSET_ERROR_POS, true)).toBe(runtime.exports.llhttp_get_error_pos(p))
  })

  it('bodyAhead() is what llhttp will step over: content-length, chunk data, until close', () => {
    const runtime = new LlhttpRuntime(llhttpWasmBytes(), noCallbacks)
    expect(runtime.skipsBodyCopies).toBe(true)
    const p = runtime.allocParser(TYPE_RESPONSE)
    // Head only: llhttp waits right before the body (span start), which it will step over whole.
    expect(runtime.bodyAhead(p)).toBe(0)
    expect(run(runtime, p, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n')).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(100)
    expect(run(runtime, p, 'x'.repeat(30))).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(70)
    runtime.consumeBody(p, 60)
    expect(runtime.bodyAhead(p)).toBe(10)
    // llhttp goes on from the count it finds: 10 more body bytes, then the next response.
    expect(run(runtime, p, 'y'.repeat(10) + 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab')).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(14)
    expect(run(runtime, p, 'c'.repeat(14) + '\r\n5\r\n')).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(5)
    expect(run(runtime, p, 'c'.repeat(5) + '\r\n3')).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(0)
    expect(run(runtime, p, '\r\nccc\r\n')).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(0)
    expect(run(runtime, p, '0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil close')).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(Infinity)
    // A length past 32 bits, and consumeBody() borrowing across the two words.
    runtime.exports.llhttp_reset(p)
    expect(run(runtime, p, `HTTP/1.1 200 OK\r\nContent-Length: ${2 ** 32 + 5}\r\n\r\nab`)).toBe(0)
    expect(runtime.bodyAhead(p)).toBe(2 ** 32 + 3)
    runtime.consumeBody(p, 10)
    expect(runtime.bodyAhead(p)).toBe(2 ** 32 - 7)
    expect(Number(new DataView(runtime.exports.memory.buffer).getBigUint64(p + OFFSET_CONTENT_LENGTH, true))).toBe(2 ** 32 - 7)
    // Paused (an error is set): 0, llhttp must see the input.
    runtime.exports.llhttp_pause(p)
    expect(runtime.bodyAhead(p)).toBe(0)
    runtime.exports.llhttp_resume(p)
    expect(runtime.bodyAhead(p)).toBe(2 ** 32 - 7)
  })

  it('copyInput() leaves the other bytes alone and counts only what it copies', () => {
    const runtime = new LlhttpRuntime(llhttpWasmBytes(), noCallbacks)
    const first = new Uint8Array(100).fill(1)
    const ptr = runtime.acquireInput(first.length)
    runtime.copyInput(ptr, first, 0, first.length)
    runtime.release(ptr)
    const before = runtime.bytesCopied
    const second = new Uint8Array(100).fill(2)
    expect(runtime.acquireInput(second.length)).toBe(ptr)
    runtime.copyInput(ptr, second, 60, 100)
    runtime.release(ptr)
    expect(runtime.bytesCopied - before).toBe(40)
    const memory = runtime.memory()
    expect(memory.subarray(ptr, ptr + 60).every((b) => b === 1)).toBe(true)
    expect(memory.subarray(ptr + 60, ptr + 100).every((b) => b === 2)).toBe(true)
  })
})
