// Limits that must not depend on how the bytes are split into reads: the head size (exact, never
// read past) and the size of a chunk-size line with its extensions.
import { HttpParserError, ResponseTooLargeError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { ResponseParser } from '../src/index.js'
import { byteByByte, feed, feedError, latin1, splitAt, splitings } from './helpers.js'

describe('head size limit', () => {
  const longLine = `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(70_000)}\r\nContent-Length: 0\r\n\r\n`
  const badPastLimit = `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(70_000)}\x01\r\n\r\n`

  it.each([
    ['a 70,000-byte header line', longLine],
    ['a 70,000-byte header line with a bad byte past the limit', badPastLimit],
    ['a 70,000-byte header name without a colon', `HTTP/1.1 200 OK\r\nX${'a'.repeat(70_000)}\r\n\r\n`],
    ['a 70,000-byte header name with a bad byte', `HTTP/1.1 200 OK\r\nX${'a'.repeat(70_000)} : v\r\n\r\n`],
    ['a 70,000-byte reason phrase with a bad byte', `HTTP/1.1 200 ${'a'.repeat(70_000)}\x01\r\n\r\n`],
    ['a 70,000-byte line of token bytes and no line end', `HTTP/1.1 200 OK\r\n${'a'.repeat(70_000)}`],
  ])('%s is ResponseTooLargeError however it is split', (_name, text) => {
    const bytes = latin1(text)
    const ways: Array<[string, Uint8Array[]]> = [
      ['whole', [bytes]],
      ['split at 66,000', splitAt(bytes, [66_000])],
      ['split at 10', splitAt(bytes, [10])],
      ['split at 65,536', splitAt(bytes, [65_536])],
      ['split at 65,537', splitAt(bytes, [65_537])],
      ['split at 30,000 and 60,000', splitAt(bytes, [30_000, 60_000])],
    ]
    for (const [how, pieces] of ways) {
      const err = feedError(pieces)
      expect(err, how).toBeInstanceOf(ResponseTooLargeError)
    }
  })

  it('never consumes bytes past the limit', () => {
    const bytes = latin1(badPastLimit)
    const parser = new ResponseParser({ maxHeaderSize: 1000 })
    expect(() => parser.execute(bytes)).toThrow(ResponseTooLargeError)
    parser.destroy()
    const split = new ResponseParser({ maxHeaderSize: 1000 })
    expect(split.execute(bytes.subarray(0, 600))).toBe(600)
    expect(() => split.execute(bytes.subarray(600))).toThrow(ResponseTooLargeError)
    split.destroy()
  })

  it('is exact: a head of exactly the limit is read, one byte more is refused, for any split', () => {
    const head = (n: number): string => {
      const base = 'HTTP/1.1 200 OK\r\nX: \r\nContent-Length: 2\r\n\r\n'
      return `HTTP/1.1 200 OK\r\nX: ${'v'.repeat(n - base.length)}\r\nContent-Length: 2\r\n\r\n`
    }
    const limit = 300
    const fits = latin1(head(limit) + 'ok')
    const over = latin1(head(limit + 1) + 'ok')
    for (const [how, pieces] of splitings(fits, 11)) {
      const out = feed(pieces, { maxHeaderSize: limit })
      expect(out.messages[0]!.body, how).toBe('ok')
    }
    for (const [how, pieces] of [...splitings(over, 12), ['byte by byte', byteByByte(over)] as [string, Uint8Array[]]]) {
      expect(feedError(pieces, { maxHeaderSize: limit }), how).toBeInstanceOf(ResponseTooLargeError)
    }
    // Malformed after the limit: still too large, byte by byte or whole.
    for (const junk of [`HTTP/1.1 200 OK\r\nX: ${'v'.repeat(400)}\x01\r\n\r\n`, `HTTP/1.1 200 OK\r\nX${'v'.repeat(400)} : v\r\n\r\n`]) {
      for (const [how, pieces] of splitings(latin1(junk), 13)) {
        expect(feedError(pieces, { maxHeaderSize: limit }), how).toBeInstanceOf(ResponseTooLargeError)
      }
    }
  })

  it('a second response in the same chunk after a small one is read', () => {
    const one = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
    const bytes = latin1(one + one)
    for (const [how, pieces] of splitings(bytes, 14)) {
      const out = feed(pieces, { maxHeaderSize: 40 })
      expect(out.messages.length, how).toBe(2)
    }
  })
})

describe('chunk-size line limit (CVE-2024-22019)', () => {
  const te = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
  const ext = (n: number): string => `;e=${'x'.repeat(n - 6)}` // with the size digit and CRLF: n bytes

  function expectOverflow(text: string): void {
    const bytes = latin1(text)
    const ways: Array<[string, Uint8Array[]]> = [...splitings(bytes, 21), ['split at 8,000', splitAt(bytes, [8_000])], ['split at 60 and 16,400', splitAt(bytes, [60, 16_400])]]
    for (const [how, pieces] of ways) {
      const err = feedError(pieces)
      expect(err, how).toBeInstanceOf(HttpParserError)
      expect((err as HttpParserError).llhttpCode, how).toBe('HPE_CHUNK_EXTENSIONS_OVERFLOW')
    }
  }

  it('1 MiB of extensions on the first chunk is refused', () => {
    expectOverflow(`${te}5;${'a=b;'.repeat(256 * 1024)}x=y\r\nhello\r\n0\r\n\r\n`)
  })

  it('on a later chunk and on the last chunk', () => {
    expectOverflow(`${te}2\r\nok\r\n5${ext(20_000)}\r\nhello\r\n0\r\n\r\n`)
    expectOverflow(`${te}2\r\nok\r\n0${ext(20_000)}\r\n\r\n`)
    expectOverflow(`${te}0${ext(16_385)}\r\n\r\n`)
  })

  it('a line of 16 KiB is read', () => {
    const bytes = latin1(`${te}2${ext(16_384)}\r\nok\r\n0${ext(16_384)}\r\n\r\n`)
    for (const [how, pieces] of splitings(bytes, 22)) {
      const out = feed(pieces)
      expect(out.messages[0]!.body, how).toBe('ok')
      expect(out.completions, how).toBe(1)
    }
  })
})
