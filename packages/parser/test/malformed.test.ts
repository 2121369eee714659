// Malformed and request-smuggling-shaped responses: every one must be refused with a typed error
// (the same one) whether fed whole, byte by byte or split at random points. The list holds what
// llhttp 9 rejects with every lenient flag off; things it accepts by spec are not asserted here.
import { HttpParserError, ResponseTooLargeError, SonicError } from '@sonic/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tuneInput } from '../src/llhttp-runtime.js'
import { feedError, latin1, splitings, type FeedOptions } from './helpers.js'

interface Bad {
  name: string
  input: Buffer
  /** llhttp error name, or 'too-large' for ResponseTooLargeError. */
  code: string
  options?: FeedOptions
}

const ok = 'HTTP/1.1 200 OK\r\n'
const te = `${ok}Transfer-Encoding: chunked\r\n\r\n`

const bad: Bad[] = [
  // Framing conflicts (the classic smuggling shapes).
  { name: 'Transfer-Encoding then Content-Length', input: latin1(`${ok}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length then Transfer-Encoding', input: latin1(`${ok}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`), code: 'HPE_INVALID_TRANSFER_ENCODING' },
  { name: 'Transfer-Encoding: identity with Content-Length', input: latin1(`${ok}Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'two different Content-Lengths', input: latin1(`${ok}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`), code: 'HPE_UNEXPECTED_CONTENT_LENGTH' },
  { name: 'two equal Content-Lengths', input: latin1(`${ok}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`), code: 'HPE_UNEXPECTED_CONTENT_LENGTH' },
  { name: 'Content-Length list', input: latin1(`${ok}Content-Length: 5, 5\r\n\r\nhello`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'negative Content-Length', input: latin1(`${ok}Content-Length: -1\r\n\r\n`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length with a sign', input: latin1(`${ok}Content-Length: +5\r\n\r\nhello`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'hex Content-Length', input: latin1(`${ok}Content-Length: 0x5\r\n\r\nhello`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length with inner space', input: latin1(`${ok}Content-Length: 1 2\r\n\r\n`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length overflow', input: latin1(`${ok}Content-Length: 99999999999999999999999\r\n\r\n`), code: 'HPE_INVALID_CONTENT_LENGTH' },
  // Chunked framing.
  { name: 'non-hex chunk size', input: latin1(`${te}zz\r\n`), code: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'negative chunk size', input: latin1(`${te}-1\r\n`), code: 'HPE_INVALID_CHUNK_SIZE' },
  { name: '0x-prefixed chunk size', input: latin1(`${te}0x5\r\nhello\r\n0\r\n\r\n`), code: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'space after chunk size', input: latin1(`${te}5 \r\nhello\r\n0\r\n\r\n`), code: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'empty chunk size', input: latin1(`${te}\r\nhello\r\n0\r\n\r\n`), code: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'chunk size overflow', input: latin1(`${te}fffffffffffffffff0\r\n`), code: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'missing CRLF after chunk data', input: latin1(`${te}5\r\nhelloXX0\r\n\r\n`), code: 'HPE_STRICT' },
  { name: 'chunk longer than its size', input: latin1(`${te}2\r\nhello\r\n0\r\n\r\n`), code: 'HPE_STRICT' },
  { name: 'bare LF after chunk size', input: latin1(`${te}5\nhello\r\n0\r\n\r\n`), code: 'HPE_CR_EXPECTED' },
  { name: 'bare LF after chunk data', input: latin1(`${te}5\r\nhello\n0\r\n\r\n`), code: 'HPE_CR_EXPECTED' },
  { name: 'control character in a chunk extension', input: latin1(`${te}5;a\x01b\r\nhello\r\n0\r\n\r\n`), code: 'HPE_STRICT' },
  { name: 'unterminated quoted chunk extension', input: latin1(`${te}5;a="b\r\nhello\r\n0\r\n\r\n`), code: 'HPE_STRICT' },
  { name: 'invalid trailer name', input: latin1(`${te}0\r\nBad Trailer: x\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  // Header values.
  { name: 'NUL in a header value', input: latin1(`${ok}X: a\x00b\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'bare CR in a header value', input: latin1(`${ok}X: a\rb\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_LF_EXPECTED' },
  { name: 'bare LF in a header value', input: latin1(`${ok}X: a\nb: c\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_CR_EXPECTED' },
  { name: 'DEL in a header value', input: latin1(`${ok}X: a\x7fb\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'control character in a header value', input: latin1(`${ok}X: a\x01b\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'obs-fold (line folding)', input: latin1(`${ok}X: a\r\n b\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  // Header names.
  { name: 'space before the colon', input: latin1(`${ok}Content-Length : 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'tab before the colon', input: latin1(`${ok}X\t: 0\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'empty header name', input: latin1(`${ok}: x\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'space inside a header name', input: latin1(`${ok}X Y: z\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'separator "(" in a header name', input: latin1(`${ok}X(Y: z\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'NUL in a header name', input: latin1(`${ok}X\x00Y: z\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'non-ASCII header name', input: latin1(`${ok}X\xe9: z\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'header line without a colon', input: latin1(`${ok}NoColon\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'whitespace before the first header', input: latin1(`${ok} X: y\r\nContent-Length: 0\r\n\r\n`), code: 'HPE_UNEXPECTED_SPACE' },
  // Line endings.
  { name: 'bare LF line endings', input: latin1('HTTP/1.1 200 OK\nContent-Length: 0\n\n'), code: 'HPE_CR_EXPECTED' },
  { name: 'CR without LF after the status line', input: latin1('HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n'), code: 'HPE_STRICT' },
  { name: 'CR without LF ending the head', input: latin1(`${ok}Content-Length: 0\r\n\rX`), code: 'HPE_STRICT' },
  // Status lines and versions.
  { name: 'two-digit status', input: latin1('HTTP/1.1 20 OK\r\n\r\n'), code: 'HPE_INVALID_STATUS' },
  { name: 'four-digit status', input: latin1('HTTP/1.1 2000 OK\r\n\r\n'), code: 'HPE_INVALID_STATUS' },
  { name: 'non-numeric status', input: latin1('HTTP/1.1 abc OK\r\n\r\n'), code: 'HPE_INVALID_STATUS' },
  { name: 'two spaces before the status', input: latin1('HTTP/1.1  200 OK\r\n\r\n'), code: 'HPE_INVALID_STATUS' },
  { name: 'no space after the version', input: latin1('HTTP/1.1200 OK\r\n\r\n'), code: 'HPE_INVALID_VERSION' },
  { name: 'HTTP/1.2', input: latin1('HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n'), code: 'HPE_INVALID_VERSION' },
  { name: 'HTTP/3.0', input: latin1('HTTP/3.0 200 OK\r\nContent-Length: 0\r\n\r\n'), code: 'HPE_INVALID_VERSION' },
  { name: 'missing minor version', input: latin1('HTTP/1. 200 OK\r\n\r\n'), code: 'HPE_INVALID_VERSION' },
  { name: 'two-digit major version', input: latin1('HTTP/11.1 200 OK\r\n\r\n'), code: 'HPE_INVALID_VERSION' },
  { name: 'lower-case protocol name', input: latin1('http/1.1 200 OK\r\n\r\n'), code: 'HPE_INVALID_CONSTANT' },
  { name: 'not HTTP at all', input: latin1('<html>hello</html>'), code: 'HPE_INVALID_CONSTANT' },
  { name: 'a request instead of a response', input: latin1('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), code: 'HPE_INVALID_CONSTANT' },
  { name: 'whitespace before the status line', input: latin1(' HTTP/1.1 200 OK\r\n\r\n'), code: 'HPE_INVALID_CONSTANT' },
  // After the message.
  { name: 'data after a Connection: close response', input: latin1(`${ok}Connection: close\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n`), code: 'HPE_CLOSED_CONNECTION' },
  // Size limits.
  { name: 'head one header over 64 KiB', input: latin1(ok + `${'X-Pad: '.padEnd(1024, 'p')}\r\n`.repeat(64) + '\r\n'), code: 'too-large' },
  { name: 'a single header value that never ends', input: latin1(`${ok}X-Endless: ${'e'.repeat(70_000)}`), code: 'too-large' },
  { name: 'endless whitespace before a value', input: latin1(`${ok}X-Endless:${' '.repeat(70_000)}`), code: 'too-large' },
  { name: 'head over a custom limit', input: latin1(`${ok}X-A: ${'a'.repeat(200)}\r\n\r\n`), code: 'too-large', options: { maxHeaderSize: 128 } },
  { name: 'trailers over the limit', input: latin1(`${te}0\r\n` + `${'X-T: '.padEnd(100, 't')}\r\n`.repeat(3) + '\r\n'), code: 'too-large', options: { maxHeaderSize: 256 } },
]

describe('malformed responses get a typed error, however they are split', () => {
  for (const [index, b] of bad.entries()) {
    it(b.name, () => {
      for (const [way, pieces] of splitings(b.input, 2000 + index)) {
        const error = feedError(pieces, b.options)
        expect(error, way).toBeInstanceOf(SonicError)
        if (b.code === 'too-large') {
          expect(error, way).toBeInstanceOf(ResponseTooLargeError)
          expect((error as ResponseTooLargeError).code).toBe('SONIC_RESPONSE_TOO_LARGE')
          expect((error as ResponseTooLargeError).limit).toBe(b.options?.maxHeaderSize ?? 65536)
        } else {
          expect(error, way).toBeInstanceOf(HttpParserError)
          const e = error as HttpParserError
          expect(e.code).toBe('SONIC_PARSE_ERROR')
          expect(e.llhttpCode, way).toBe(b.code)
          expect(e.reason.length).toBeGreaterThan(0)
          expect(e.message).toContain(e.reason)
        }
      }
    })
  }

  it('covers at least 30 distinct malformed inputs', () => {
    expect(new Set(bad.map((b) => b.input.toString('latin1'))).size).toBeGreaterThanOrEqual(30)
  })
})

describe('malformed responses, with llhttp stopped at every head end (as done before large bodies)', () => {
  let previous = tuneInput({})
  beforeAll(() => void (previous = tuneInput({ splitMin: 0 })))
  afterAll(() => void tuneInput(previous))
  it('the same error as the plain path (every byte copied, one llhttp_execute per chunk)', () => {
    const describeError = (error: unknown): string =>
      error instanceof HttpParserError ? `${error.llhttpCode}: ${error.reason}` : error instanceof ResponseTooLargeError ? `too large: ${error.limit}` : String(error)
    const plain = { skipBodies: false }
    const everyHead = { skipBodies: true, splitMin: 0 }
    const errorWith = (tuning: Parameters<typeof tuneInput>[0], pieces: Uint8Array[], options?: FeedOptions): string => {
      tuneInput(tuning)
      return describeError(feedError(pieces, options))
    }
    for (const [index, b] of bad.entries()) {
      const reference = errorWith(plain, [b.input], b.options)
      expect(errorWith(everyHead, [b.input], b.options), b.name).toBe(reference)
      for (const [way, pieces] of splitings(b.input, 4000 + index)) {
        expect(errorWith(everyHead, pieces, b.options), `${b.name}: ${way}`).toBe(reference)
      }
      // With a large tail after the input (which the default threshold splits before, too).
      const tail = [Buffer.concat([b.input, Buffer.alloc(8192, 0x41)])]
      const padded = errorWith(plain, tail, b.options)
      expect(errorWith(everyHead, tail, b.options), `${b.name}: padded`).toBe(padded)
      expect(errorWith(previous, tail, b.options), `${b.name}: padded`).toBe(padded)
    }
  })
})
