// Trailer fields of chunked bodies: recorded like a head's fields (byte ranges, decoded on demand)
// and reported from onComplete, the same wherever the bytes are split, also when the caller reuses
// its read buffer between execute() calls (pieces of a field split over reads are copied).
import { describe, expect, it } from 'vitest'
import { PAUSE, ResponseParser } from '../src/index.js'
import { byteByByte, feed, latin1, splitAt } from './helpers.js'

const te = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum, X-Obs\r\n\r\n'
const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n'
const trailerLines = 'X-Checksum: 0123456789abcdef\r\nx-empty:\r\nX-Obs: caf\xe9 \t\r\nX-Checksum:   second\r\n'
const input = latin1(`${te}${body}0;last\r\n${trailerLines}\r\n`)
const expected = ['X-Checksum', '0123456789abcdef', 'x-empty', '', 'X-Obs', 'caf\xe9', 'X-Checksum', 'second']

interface Seen {
  trailers: string[]
  count: number
  checksum: string | null
  empty: string | null
  missing: string | null
  body: string
}

/**
 * Feeds `pieces` through ONE reused read buffer (as a socket reading into the same memory would):
 * each piece is copied into it and the buffer is scribbled over after every execute(), so a trailer
 * still pointing into an earlier read shows up as garbage.
 */
function feedReusing(pieces: Uint8Array[], parser = new ResponseParser()): Seen[] {
  const seen: Seen[] = []
  let text = ''
  const buffer = new Uint8Array(4096)
  parser.onBody = (chunk) => void (text += Buffer.from(chunk).toString('latin1'))
  parser.onComplete = (p) => {
    seen.push({
      trailers: p.trailersFlat(),
      count: p.trailerCount,
      checksum: p.trailer('x-checksum'),
      empty: p.trailer('x-empty'),
      missing: p.trailer('x-none'),
      body: text,
    })
    text = ''
  }
  try {
    for (const piece of pieces) {
      buffer.set(piece)
      const view = buffer.subarray(0, piece.length)
      expect(parser.execute(view)).toBe(piece.length)
      buffer.fill(0x21)
    }
  } finally {
    parser.destroy()
  }
  return seen
}

const complete: Seen = { trailers: expected, count: 4, checksum: '0123456789abcdef', empty: '', missing: null, body: 'hello world' }

describe('trailers: recorded and reported at onComplete', () => {
  it('whole: names and values in order, values trimmed, latin1, lookups case-insensitive (first match)', () => {
    expect(feedReusing([input])).toEqual([complete])
  })

  it('split at every byte position (one cut)', () => {
    for (let at = 1; at < input.length; at++) {
      expect(feedReusing(splitAt(input, [at])), `cut at ${at}`).toEqual([complete])
    }
  })

  it('split at every pair of positions in the trailer section (two cuts), and byte by byte', () => {
    const from = input.length - trailerLines.length - 2
    for (let a = from; a < input.length; a++) {
      for (let b = a + 1; b < input.length; b++) {
        expect(feedReusing(splitAt(input, [a, b])), `cuts at ${a}, ${b}`).toEqual([complete])
      }
    }
    expect(feedReusing(byteByByte(input))).toEqual([complete])
  })

  it('the feed helper reports them too, the same however split', () => {
    const reference = feed([input])
    expect(reference.messages[0]!.trailers).toEqual(expected)
    for (let at = 1; at < input.length; at += 7) expect(feed(splitAt(input, [at, at + 3]))).toEqual(reference)
  })

  it('none: trailerCount 0, an empty array, null lookups (chunked without trailers, Content-Length)', () => {
    const plain = latin1(`${te}${body}0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`)
    const seen = feedReusing([plain])
    expect(seen.map((s) => [s.trailers, s.count, s.checksum])).toEqual([
      [[], 0, null],
      [[], 0, null],
    ])
  })

  it('are the current message’s only: a pipelined message after one with trailers has none', () => {
    const pipeline = Buffer.concat([input, latin1(`${te}3\r\nabc\r\n0\r\n\r\n`), input])
    for (const pieces of [[pipeline], splitAt(pipeline, [input.length - 5, input.length + 20]), byteByByte(pipeline)]) {
      const seen = feedReusing(pieces)
      expect(seen.map((s) => s.trailers)).toEqual([expected, [], expected])
      expect(seen.map((s) => s.body)).toEqual(['hello world', 'abc', 'hello world'])
    }
  })

  it('many fields (past the first record size), in order', () => {
    const names = Array.from({ length: 150 }, (_, i) => `X-T-${i}`)
    const lines = names.map((n, i) => `${n}: v${i}\r\n`).join('')
    const many = latin1(`${te}0\r\n${lines}\r\n`)
    const flat = names.flatMap((n, i) => [n, `v${i}`])
    for (const pieces of [[many], splitAt(many, [100, 1000, 1001, 2000]), byteByByte(many)]) {
      const seen = feedReusing(pieces)
      expect(seen).toHaveLength(1)
      expect(seen[0]!.trailers).toEqual(flat)
      expect(seen[0]!.count).toBe(150)
    }
  })

  it('survive a pause on the last body piece and on onComplete', () => {
    const parser = new ResponseParser()
    let trailers: string[] | null = null
    parser.onBody = () => PAUSE
    parser.onComplete = (p) => {
      trailers = p.trailersFlat()
      return PAUSE
    }
    try {
      let offset = 0
      for (let guard = 0; offset < input.length && guard < 20; guard++) {
        offset += parser.execute(input.subarray(offset))
        parser.resume()
      }
      expect(offset).toBe(input.length)
      expect(trailers).toEqual(expected)
    } finally {
      parser.destroy()
    }
  })

  it('are forgotten on reset() and when the next message begins', () => {
    const parser = new ResponseParser()
    try {
      expect(parser.execute(input)).toBe(input.length)
      expect(parser.trailerCount).toBe(4)
      parser.reset()
      expect(parser.trailerCount).toBe(0)
      expect(parser.trailersFlat()).toEqual([])
      expect(parser.trailer('x-checksum')).toBeNull()
      expect(parser.execute(input)).toBe(input.length)
      expect(parser.trailer('X-CHECKSUM'.toLowerCase())).toBe('0123456789abcdef')
      expect(parser.execute(latin1('HTTP/1.1 204 No Content\r\n'))).toBe(25)
      expect(parser.trailerCount).toBe(0)
    } finally {
      parser.destroy()
    }
  })
})
