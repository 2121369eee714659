// UTF-8 decoding of EventStreamParser against a whole-stream TextDecoder: invalid and multi-byte
// sequences cut by chunk boundaries anywhere, chunks of every size class the decoder treats
// differently (small, large, all-ASCII), and the same with the Node shortcuts unavailable.
import { prng } from '@sonic/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { EventStreamParser, type ServerSentEvent } from './event-stream-parser.js'
import { CASES } from './event-stream-cases.test-data.js'

type ParserClass = typeof EventStreamParser

const te = new TextEncoder()

/** The parser module evaluated again with `process.getBuiltinModule` hidden: TextDecoder only. */
async function loadPortable(): Promise<ParserClass> {
  const proc = process as { getBuiltinModule?: unknown }
  const saved = proc.getBuiltinModule
  vi.resetModules()
  proc.getBuiltinModule = undefined
  try {
    return (await import('./event-stream-parser.js')).EventStreamParser
  } finally {
    proc.getBuiltinModule = saved
  }
}

// Bytes that make interesting UTF-8: ASCII, continuation bytes, every kind of lead byte (valid or
// not: C0, C1, F5..FF), the bounds of E0/ED/F0/F4's second byte, NUL, and the BOM's bytes.
const ALPHABET = [0x61, 0x7a, 0x20, 0x3a, 0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbb, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xfe, 0xff]

/** A stream of `data:` events whose values are random bytes, some short, some long and ASCII. */
function randomStream(seed: number): Uint8Array {
  const rnd = prng(seed)
  const out: number[] = []
  for (let e = 0; e < 60; e++) {
    out.push(...te.encode('data: <'))
    const kind = rnd()
    if (kind < 0.2) {
      // Long and ASCII, so that whole chunks of 1 KiB and more can be ASCII.
      const len = 500 + Math.floor(rnd() * 3000)
      for (let i = 0; i < len; i++) out.push(0x61 + (i % 26))
      if (rnd() < 0.5) out.push(0xe2, 0x82) // a character cut short at the end
    } else {
      const len = Math.floor(rnd() * 24)
      for (let i = 0; i < len; i++) out.push(ALPHABET[Math.floor(rnd() * ALPHABET.length)]!)
    }
    out.push(...te.encode('>\n\n'))
  }
  return new Uint8Array(out)
}

/** The data of the events of a stream built by randomStream, from one decode of the whole stream. */
function expectedData(stream: Uint8Array): string[] {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(stream)
  const blocks = text.split('\n\n')
  blocks.pop()
  return blocks.map((b) => {
    expect(b.startsWith('data: <') && b.endsWith('>')).toBe(true)
    return b.slice('data: '.length)
  })
}

function parse(Parser: ParserClass, chunks: Uint8Array[]): string[] {
  const data: string[] = []
  const p = new Parser((ev) => data.push(ev.data))
  for (const c of chunks) p.feed(c)
  p.end()
  return data
}

function cut(bytes: Uint8Array, sizes: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let off = 0; off < bytes.length; ) {
    const n = Math.max(1, sizes())
    chunks.push(bytes.subarray(off, off + n))
    off += n
  }
  return chunks
}

function checkRandomStreams(Parser: ParserClass): void {
  for (let seed = 1; seed <= 12; seed++) {
    const stream = randomStream(seed)
    const expected = expectedData(stream)
    expect(parse(Parser, [stream]), `seed ${seed} whole`).toStrictEqual(expected)
    for (const size of [1, 2, 3, 5, 64, 1023, 1024, 1025, 4096, 16384]) {
      expect(parse(Parser, cut(stream, () => size)), `seed ${seed} chunks of ${size}`).toStrictEqual(expected)
    }
    const rnd = prng(seed * 7919)
    for (let round = 0; round < 4; round++) {
      const sizes = round % 2 === 0 ? () => Math.floor(rnd() * 40) : () => Math.floor(rnd() * 5000)
      expect(parse(Parser, cut(stream, sizes)), `seed ${seed} random chunks ${round}`).toStrictEqual(expected)
    }
  }
}

describe('EventStreamParser: UTF-8 across chunks', () => {
  it('decodes random byte soup like one TextDecoder over the whole stream, however it is cut', () => {
    checkRandomStreams(EventStreamParser)
  })

  it('decodes an ASCII chunk that follows a chunk ending inside a character', () => {
    const head = new Uint8Array([...te.encode('data: <'), 0xe2, 0x82])
    for (const tail of ['a'.repeat(2000) + '>\n\n', 'a>\n\n']) {
      expect(parse(EventStreamParser, [head, te.encode(tail)])).toStrictEqual(['<\uFFFD' + tail.slice(0, -2)])
    }
    // The missing byte of the character does arrive: one character, not U+FFFD.
    expect(parse(EventStreamParser, [head, new Uint8Array([0xac, ...te.encode('a'.repeat(2000) + '>\n\n')])])).toStrictEqual([
      '<€' + 'a'.repeat(2000) + '>',
    ])
  })

  it('reset() drops the bytes of an unfinished character', () => {
    checkReset(EventStreamParser)
  })
})

function checkReset(Parser: ParserClass): void {
  const seen: ServerSentEvent[] = []
  const p = new Parser((ev) => seen.push(ev))
  p.feed(new Uint8Array([...te.encode('data: a\n\ndata: <'), 0xe2]))
  p.reset()
  // Had the 0xE2 been kept, it would turn the 'd' below into U+FFFD 'd' and hide the field. (The
  // first chunk ends inside a character, so that it goes through the streaming decoder.)
  p.feed(new Uint8Array([...te.encode('data: '), 0x82, 0xac, 0xe2]))
  p.feed(new Uint8Array([0x82, 0xac, ...te.encode('\n\n')]))
  expect(seen.map((e) => e.data)).toStrictEqual(['a', '\uFFFD\uFFFD€'])
}

describe('EventStreamParser without the Node shortcuts (TextDecoder only)', () => {
  it('loads a separate module instance', async () => {
    expect(await loadPortable()).not.toBe(EventStreamParser)
  })

  it('decodes random byte soup like one TextDecoder over the whole stream', async () => {
    checkRandomStreams(await loadPortable())
  })

  it('reset() drops the bytes of an unfinished character', async () => {
    checkReset(await loadPortable())
  })

  it('passes the WHATWG table, whole and split at every byte', async () => {
    const Parser = await loadPortable()
    for (const c of CASES) {
      const input = typeof c.input === 'string' ? te.encode(c.input) : c.input
      for (let i = 0; i <= input.length; i++) {
        const events: ServerSentEvent[] = []
        const p = new Parser((ev) => events.push(ev))
        p.feed(input.subarray(0, i))
        p.feed(input.subarray(i))
        p.end()
        expect(events, `${c.name} (split at ${i})`).toStrictEqual(c.events)
        expect(p.lastEventId, `${c.name} lastEventId (split at ${i})`).toBe(c.lastEventId ?? '')
      }
    }
  })
})
