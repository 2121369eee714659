// Decoding of the byte stream into text, one chunk at a time. A streaming TextDecoder is the
// standard's own UTF-8 decode: a character, or an invalid sequence, split across chunks comes out
// exactly as if the stream were decoded whole (U+FFFD for invalid sequences).
//
// On Node two shortcuts avoid the decoder's cost where they give the same text. Both are taken
// only when the decoder holds no bytes of an unfinished character, which is certain when the last
// byte it was given was ASCII (an ASCII byte ends no character, or ends an invalid sequence; either
// way the decoder is back in its initial state):
// - a small chunk that ends in an ASCII byte is complete UTF-8 on its own: it is decoded in one
//   call by V8's UTF-8 decoder (`Buffer#utf8Slice`, the same U+FFFD replacement as TextDecoder).
//   Its fixed cost is about half the streaming decoder's, which is most of the cost of a chunk
//   holding one event, as a token stream arrives. It is slower per multi-byte character, though,
//   so after a small chunk with many of them (CJK text) the streaming decoder is used instead;
// - a larger chunk made only of ASCII bytes (`isAscii`, a fast native scan) is copied into a string
//   (`Buffer#latin1Slice`), about ten times faster than decoding it.
// Neither is used when `process.getBuiltinModule` (Node >= 20.16) or the natives are missing.

interface NodeBufferModule {
  isAscii?: unknown
  Buffer?: { prototype?: { latin1Slice?: unknown; utf8Slice?: unknown } }
}

type IsAscii = (bytes: Uint8Array) => boolean
type Slice = (this: Uint8Array, start: number, end: number) => string

const nodeBuffer: NodeBufferModule | undefined = (() => {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule
  if (typeof getBuiltinModule !== 'function') return undefined
  try {
    return getBuiltinModule('node:buffer') as NodeBufferModule
  } catch {
    return undefined
  }
})()

const proto = nodeBuffer?.Buffer?.prototype
const isAscii = nodeBuffer?.isAscii as IsAscii
const latin1Slice = proto?.latin1Slice as Slice
const utf8Slice = proto?.utf8Slice as Slice
/** The shortcuts are usable (all three natives exist). */
const fast = typeof isAscii === 'function' && typeof latin1Slice === 'function' && typeof utf8Slice === 'function'

const STREAM: TextDecodeOptions = { stream: true }
/** Chunks shorter than this take the one-call path; longer ones are checked for ASCII. */
const SMALL = 1024
/**
 * Up to about this many bytes saved by multi-byte characters (text this much shorter than the
 * chunk: 4 CJK characters, 8 accented letters) both decoders are about as fast on a small chunk;
 * beyond, the streaming one is faster.
 */
const MULTI_BYTE_HEAVY = 8
/**
 * A failed ASCII check costs a few percent of decoding the chunk. So that a text that is rarely
 * all ASCII over a whole large chunk (accented or CJK text) does not pay it on every chunk, after
 * a miss the next seven large chunks go straight to the decoder.
 */
const SKIP_AFTER_MISS = 7

/** Decodes a UTF-8 byte stream chunk by chunk. A leading BOM is kept (U+FEFF): the caller strips it. */
export class Utf8StreamDecoder {
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  /** The decoder holds no bytes of an unfinished character. */
  #clean = true
  /** Large chunks left to decode without the ASCII check, after one that was not all ASCII. */
  #skip = 0
  /** The last small chunk was heavy in multi-byte characters: small chunks use the decoder. */
  #multiByte = false

  /** The text of the next chunk (`''` when the chunk only starts a character). `chunk` is not empty. */
  decode(chunk: Uint8Array): string {
    const n = chunk.length
    const endsInAscii = chunk[n - 1]! < 0x80
    if (fast) {
      if (n < SMALL) {
        const text = this.#clean && endsInAscii && !this.#multiByte ? utf8Slice.call(chunk, 0, n) : this.#stream(chunk, endsInAscii)
        this.#multiByte = n - text.length >= MULTI_BYTE_HEAVY
        return text
      }
      if (this.#clean) {
        if (this.#skip > 0) this.#skip--
        else if (isAscii(chunk)) return latin1Slice.call(chunk, 0, n)
        else this.#skip = SKIP_AFTER_MISS
      }
    }
    return this.#stream(chunk, endsInAscii)
  }

  #stream(chunk: Uint8Array, endsInAscii: boolean): string {
    this.#clean = endsInAscii
    return this.#decoder.decode(chunk, STREAM)
  }

  /** Drops the bytes of an unfinished character: the next chunk starts a new stream. */
  reset(): void {
    // Without the stream flag the decoder flushes (the output is not wanted) and starts afresh.
    this.#decoder.decode()
    this.#clean = true
    this.#skip = 0
    this.#multiByte = false
  }
}
