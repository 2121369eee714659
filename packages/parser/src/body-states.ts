// The llhttp states in which body bytes are counted but never read, found by running the binary.
//
// In three states llhttp only moves its pointer over body bytes, then reports the span through
// on_body(at, length) (the llparse-generated C, llhttp.c):
//   - Content-Length body (a "consume" node): content_length -= avail, or p += content_length and
//     content_length = 0 when the body ends in this input;
//   - chunk data (another "consume" node): the same, content_length = the rest of the chunk;
//   - read-until-close body (`eof`): p++ until the end of the input.
// In front of the first two sits a span-start node, where llhttp waits when an input ends right
// before the body or the chunk data: `if (p == endp) return; span_pos0 = p; goto consume`, with
// content_length already the whole length. It reads nothing either, so it counts as a body state.
// None of them looks at a byte, so execute() need not copy those bytes into WASM memory (see
// docs/parser.md, "Body bytes are not copied"). Which state a parser is in is `llhttp_t._current`,
// a number of llparse's state enum: a compile-time constant of the binary, not part of any API.
// Rather than hard-code numbers, they are read off the binary itself once: a private `llhttp_t`
// with no callbacks (llhttp_settings_init zeroes them all, so no JS runs) is fed known responses
// and its `_current` noted at known points. Every step is checked (return codes, remaining counts,
// states distinct, states left when the body ends); anything unexpected disables the fast path.
import { OFFSET_CONTENT_LENGTH, OFFSET_CURRENT, TYPE_RESPONSE } from './constants.js'
import type { LlhttpExports } from './llhttp-runtime.js'

/** llparse state numbers of the body states and of the message start (all distinct and non-zero). */
export interface BodyStates {
  /** Between messages: the next byte begins a response (after llhttp_init and after each message). */
  readonly messageStart: number
  /** Inside a Content-Length body, or right before it; `content_length` is the rest of the body. */
  readonly contentLength: number
  readonly contentLengthStart: number
  /** Inside the data of a chunk, or right before it; `content_length` is the rest of the chunk. */
  readonly chunkData: number
  readonly chunkDataStart: number
  /** Inside a read-until-close body. */
  readonly untilClose: number
}

/** More than sizeof(llhttp_t) and sizeof(llhttp_settings_t) (about 64 and 96 bytes on wasm32). */
const STRUCT_BYTES = 256
const INPUT_BYTES = 256

export function discoverBodyStates(e: LlhttpExports): BodyStates | null {
  const settings = e.malloc(STRUCT_BYTES)
  const parser = e.malloc(STRUCT_BYTES)
  const input = e.malloc(INPUT_BYTES)
  try {
    if (settings === 0 || parser === 0 || input === 0) return null
    new Uint8Array(e.memory.buffer, settings, STRUCT_BYTES).fill(0)
    e.llhttp_settings_init(settings)
    const view = (): DataView => new DataView(e.memory.buffer)
    const state = (): number => view().getUint32(parser + OFFSET_CURRENT, true)
    const left = (): number =>
      view().getUint32(parser + OFFSET_CONTENT_LENGTH + 4, true) * 0x1_0000_0000 + view().getUint32(parser + OFFSET_CONTENT_LENGTH, true)
    const run = (text: string): boolean => {
      const bytes = new Uint8Array(e.memory.buffer, input, INPUT_BYTES)
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
      return e.llhttp_execute(parser, input, text.length) === 0
    }
    /**
     * Feeds `head` (up to the first body byte), 2 + 2 bytes of a 10-byte body, then `rest` (which
     * ends the body); returns the states before and inside the body, [0, 0] if anything is off.
     */
    const probe = (head: string, rest: string, counted: boolean): [number, number] => {
      const off: [number, number] = [0, 0]
      e.llhttp_init(parser, TYPE_RESPONSE, settings)
      if (!run(head)) return off
      const start = state()
      if (counted && left() !== 10) return off
      if (!run('ab')) return off
      const inside = state()
      if (counted && left() !== 8) return off
      if (!run('cd') || state() !== inside || (counted && left() !== 6)) return off
      // The body ends: llhttp must have left both states.
      if (rest !== '' && (!run(rest) || state() === inside || state() === start)) return off
      return [start, inside]
    }
    const [contentLengthStart, contentLength] = probe('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'efghijHTTP/1.1 200', true)
    const [chunkDataStart, chunkData] = probe('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n', 'efghij\r\n0\r\n\r\n', true)
    const [untilCloseStart, untilClose] = probe('HTTP/1.1 200 OK\r\n\r\n', '', false)
    // The message start: after init, after a whole message and after the CRLF llhttp allows there.
    e.llhttp_init(parser, TYPE_RESPONSE, settings)
    const messageStart = state()
    if (!run('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') || state() !== messageStart) return null
    if (!run('\r\n') || state() !== messageStart || !run('H') || state() === messageStart) return null
    const states = [messageStart, contentLength, contentLengthStart, chunkData, chunkDataStart, untilClose, untilCloseStart]
    if (states.includes(0) || new Set(states).size !== states.length) return null
    return { messageStart, contentLength, contentLengthStart, chunkData, chunkDataStart, untilClose }
  } finally {
    if (input !== 0) e.free(input)
    if (parser !== 0) e.free(parser)
    if (settings !== 0) e.free(settings)
  }
}
