// Regressions for the defects test/fuzz.test.ts found: limits (head, trailers, chunk-size lines)
// whose verdict depended on how the bytes were split, valid responses refused when split (or
// paused) in some places, and the `upgrade` flag of a 101 without an Upgrade header. Each input
// must give the same result fed whole, byte by byte and at seeded random split points.
import { HttpParserError, ResponseTooLargeError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { PAUSE, ResponseParser } from '../src/index.js'
import { feed, feedError, latin1, splitAt, splitings } from './helpers.js'

const te = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'

function codeOf(error: unknown): string {
  if (error instanceof ResponseTooLargeError) return 'too-large'
  if (error instanceof HttpParserError) return error.llhttpCode
  throw error
}

/** The error for `input` (or 'ok'), checked to be the same however it is split. */
function sameHowever(input: Buffer, maxHeaderSize?: number, seed = 1): string {
  const options = maxHeaderSize === undefined ? {} : { maxHeaderSize }
  const results = splitings(input, seed).map(([way, pieces]) => {
    try {
      feed(pieces, options)
      return [way, 'ok'] as const
    } catch (error) {
      return [way, codeOf(error)] as const
    }
  })
  const first = results[0]![1]
  for (const [way, result] of results) expect(result, way).toBe(first)
  return first
}

/** `head` padded with an X-Pad header to exactly `size` bytes (blank line included). */
function headOf(size: number, lines: string): string {
  const fixed = `HTTP/1.1 200 OK\r\n${lines}X-Pad: \r\n\r\n`
  return fixed.replace('X-Pad: ', `X-Pad: ${'p'.repeat(size - fixed.length)}`)
}

describe('head limit: exact for every message of a read', () => {
  it('empty lines before a status line are no head end: a long header is not read past the limit (fuzz seed 572676746)', () => {
    const input = `\r\n\r\nHTTP/1.1 200 OK\r\nCache-Control${'a'.repeat(200)}\x01: x\r\n\r\n`
    expect(codeOf(feedError([latin1(input)], { maxHeaderSize: 160 }))).toBe('too-large')
    expect(sameHowever(latin1(input), 160)).toBe('too-large')
  })

  it('a pipelined head is not read past the limit (an invalid byte after it: too large, as when split)', () => {
    const first = 'HTTP/1.1 204 No Content\r\n\r\n'
    const second = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(65_000)}\r\nLong-Name-${'n'.repeat(1000)}\x91: x\r\n\r\n`
    expect(sameHowever(latin1(first + second))).toBe('too-large')
    expect(codeOf(feedError([latin1(first + second)]))).toBe('too-large')
  })

  it('the next head is counted from its first byte, not from the last span of a chunked message before it', () => {
    const chunked = `${te}3;ext=${'x'.repeat(40)}\r\nabc\r\n0;ext=${'y'.repeat(40)}\r\n\r\n`
    const exact = headOf(200, 'Content-Length: 0\r\n')
    expect(exact.length).toBe(200)
    expect(sameHowever(latin1(chunked + exact), 200)).toBe('ok')
    expect(sameHowever(latin1(chunked + headOf(201, 'Content-Length: 0\r\n')), 200)).toBe('too-large')
    // And after 1xx heads (no body), and after trailers.
    const interim = 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'
    expect(sameHowever(latin1(interim + interim + exact), 200)).toBe('ok')
    const trailers = `${te}0\r\nX-T: ${'t'.repeat(50)}\r\n\r\n`
    expect(sameHowever(latin1(trailers + exact), 200)).toBe('ok')
  })

  it('a head ending in an empty header value may be exactly the limit', () => {
    for (const last of ['X-Empty:', 'X-Blank: \t ']) {
      const head = `HTTP/1.1 200 OK\r\nContent-Length: 0\r\n${last}\r\n\r\n`
      expect(sameHowever(latin1(head), head.length)).toBe('ok')
      expect(sameHowever(latin1(head), head.length - 1)).toBe('too-large')
    }
  })

  it('a read that begins inside a head’s CRLF CRLF and goes on into the next head is not refused', () => {
    const first = 'HTTP/1.1 204 No Content\r\n\r\n'
    const second = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
    const input = latin1(first + second)
    // The second read: "\r\n" then the second head, more than the first head's room.
    expect(feed(splitAt(input, [first.length - 2]), { maxHeaderSize: 40 }).completions).toBe(2)
    expect(sameHowever(input, 40)).toBe('ok')
  })
})

describe('trailers: bounded like a head, however they arrive', () => {
  const trailers = 'X-Checksum: 0123456789abcdef\r\nX-Other: value\r\n\r\n'

  it('trailers within the limit pass in small reads (each piece used to count 2 bytes more)', () => {
    const input = latin1(`${te}5\r\nhello\r\n0\r\n${trailers}`)
    expect(sameHowever(input, 2 * trailers.length)).toBe('ok')
    expect(sameHowever(input, trailers.length)).toBe('ok')
    expect(sameHowever(input, trailers.length - 1)).toBe('too-large')
  })

  it('a trailer line is not read past the limit (an invalid byte after it: too large, as when split)', () => {
    const input = latin1(`${te}0\r\nX${'a'.repeat(300)}\x01: v\r\n\r\n`)
    expect(sameHowever(input, 100)).toBe('too-large')
  })
})

describe('chunk-size lines: judged where llhttp reads them', () => {
  it('an invalid byte before the 16 KiB limit is the error, not the overflow seen ahead', () => {
    const input = latin1(`${te}5;a\x01${'b'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`)
    expect(sameHowever(input)).toBe('HPE_STRICT')
  })

  it('a line over the limit is refused however split', () => {
    const input = latin1(`${te}5;${'b'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`)
    expect(sameHowever(input)).toBe('HPE_CHUNK_EXTENSIONS_OVERFLOW')
  })

  /** Feeds `pieces`, pausing on every body piece as a backpressured consumer does; the completions. */
  function pausing(pieces: Uint8Array[]): number {
    const parser = new ResponseParser()
    let completions = 0
    parser.onBody = () => PAUSE
    parser.onComplete = () => void completions++
    try {
      for (const piece of pieces) {
        let offset = 0
        for (let guard = 0; offset < piece.length && guard < 10; guard++) {
          offset += parser.execute(piece.subarray(offset))
          parser.resume()
        }
      }
      return completions
    } finally {
      parser.destroy()
    }
  }

  it('a pause at the end of chunk data does not move the next line (nor let it pass the limit)', () => {
    // The line after a paused body piece, split across reads: it used to be looked for from the
    // CRLF ending the data, found "complete" there, and then not bounded at all.
    for (const size of [10_000, 20_000, 1024 * 1024]) {
      const input = latin1(`${te}5\r\nhello\r\n0;e=${'a'.repeat(size)}\r\n\r\n`)
      const pieces = splitAt(input, [input.indexOf('0;e=') + 9000])
      if (size < 16 * 1024) expect(pausing(pieces), `${size}`).toBe(1)
      else expect(codeOf(errorOf(() => pausing(pieces))), `${size}`).toBe('HPE_CHUNK_EXTENSIONS_OVERFLOW')
    }
  })
})

function errorOf(f: () => unknown): unknown {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

describe('upgrade', () => {
  it('a 101 without an Upgrade header stops the parser and says upgrade', () => {
    const parser = new ResponseParser()
    const head = 'HTTP/1.1 101 Switching Protocols\r\n\r\n'
    const input = latin1(`${head}new protocol`)
    expect(parser.execute(input)).toBe(head.length)
    expect(parser.upgrade).toBe(true)
    expect(parser.execute(latin1('more'))).toBe(0)
    parser.destroy()
  })
})
