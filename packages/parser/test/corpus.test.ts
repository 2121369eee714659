// Valid responses: each must give the same result fed whole, byte by byte and at seeded random
// split points, and that result must be what the response says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tuneInput } from '../src/llhttp-runtime.js'
import { feed, latin1, splitings, type FeedOptions, type Message } from './helpers.js'

interface Case {
  name: string
  input: Buffer
  options?: FeedOptions
  expected: { completions: number; eof?: boolean; messages: Array<Partial<Message>> }
}

const bigHeaders = (() => {
  // Just under the default 64 KiB limit: 60 headers of ~1,080 bytes, the last one padded so the
  // whole head (status line, header lines, blank line) is 16 bytes short of 65536.
  const lines: string[] = []
  for (let i = 0; i < 60; i++) lines.push(`X-Big-${String(i).padStart(2, '0')}: ${'v'.repeat(1070)}\r\n`)
  const fixed = `HTTP/1.1 200 OK\r\n${lines.join('')}Content-Length: 3\r\nX-Pad: \r\n\r\n`
  const head = fixed.replace('X-Pad: ', `X-Pad: ${'p'.repeat(65536 - 16 - fixed.length)}`)
  return { head, lines }
})()

const cases: Case[] = [
  {
    name: 'content-length body',
    input: latin1('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!'),
    expected: {
      completions: 1,
      messages: [
        {
          statusCode: 200,
          statusText: 'OK',
          version: '1.1',
          headers: ['Content-Type', 'text/plain', 'Content-Length', '13'],
          contentLength: 13,
          contentLengthHeader: '13',
          chunked: false,
          keepAlive: true,
          body: 'Hello, World!',
        },
      ],
    },
  },
  {
    name: 'header values: obs-text (latin1), trailing whitespace, empty values, case kept',
    input: latin1('HTTP/1.1 200 Très bien\r\nX-Name: caf\xe9 \t\r\nX-Empty:\r\nx-lower:   spaced  out  \r\nX-E2: \r\ncontent-LENGTH: 0\r\n\r\n'),
    expected: {
      completions: 1,
      messages: [
        {
          statusCode: 200,
          statusText: 'Très bien',
          headers: ['X-Name', 'café', 'X-Empty', '', 'x-lower', 'spaced  out', 'X-E2', '', 'content-LENGTH', '0'],
          headerCount: 5,
          contentLength: 0,
          contentLengthHeader: '0',
          body: '',
        },
      ],
    },
  },
  {
    name: 'chunked with chunk extensions and trailers',
    input: latin1(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n' +
        '5;name=value\r\nhello\r\n' +
        '1;a;b="quoted; value"\r\n,\r\n' +
        'A\r\n 0123456789\r\n'.replace(' ', '') +
        '0;last=yes\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n',
    ),
    expected: {
      completions: 1,
      messages: [
        { statusCode: 200, chunked: true, contentLength: null, headers: ['Transfer-Encoding', 'chunked', 'Trailer', 'X-Checksum'], body: 'hello,0123456789', keepAlive: true, trailers: ['X-Checksum', 'abc', 'X-Other', '1'] },
      ],
    },
  },
  {
    name: 'chunked: upper-case hex sizes, empty body',
    input: latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1F\r\n' + 'x'.repeat(31) + '\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    expected: {
      completions: 2,
      messages: [
        { chunked: true, body: 'x'.repeat(31) },
        { chunked: true, body: '' },
      ],
    },
  },
  {
    name: 'read-until-close body (HTTP/1.1, no length) completed by finish()',
    input: latin1('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\nuntil EOF'),
    options: { eof: true },
    expected: {
      completions: 1,
      eof: true,
      messages: [{ statusCode: 200, contentLength: null, chunked: false, keepAliveAtHeaders: false, keepAlive: false, body: 'all of this\r\nuntil EOF' }],
    },
  },
  {
    name: 'Transfer-Encoding with chunked not last: read until close',
    input: latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw bytes'),
    options: { eof: true },
    expected: { completions: 1, eof: true, messages: [{ chunked: false, keepAlive: false, body: 'raw bytes' }] },
  },
  {
    name: 'HTTP/1.0 without length: read until close',
    input: latin1('HTTP/1.0 200 OK\r\nServer: old\r\n\r\nancient body'),
    options: { eof: true },
    expected: { completions: 1, eof: true, messages: [{ version: '1.0', keepAlive: false, body: 'ancient body' }] },
  },
  {
    name: 'HTTP/1.0 with Connection: keep-alive and a length keeps the connection',
    input: latin1('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok'),
    expected: { completions: 1, messages: [{ version: '1.0', keepAliveAtHeaders: true, keepAlive: true, body: 'ok' }] },
  },
  {
    name: 'HTTP/1.0 with a length but no keep-alive closes',
    input: latin1('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    expected: { completions: 1, messages: [{ version: '1.0', keepAlive: false, body: 'ok' }] },
  },
  {
    name: 'Connection: close',
    input: latin1('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbye!'),
    expected: { completions: 1, messages: [{ keepAliveAtHeaders: false, keepAlive: false, body: 'bye!' }] },
  },
  {
    name: 'Connection: keep-alive with Keep-Alive parameters',
    input: latin1('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n'),
    expected: { completions: 1, messages: [{ keepAlive: true, headers: ['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5, max=100', 'Content-Length', '0'] }] },
  },
  {
    name: '100 Continue, then the final response',
    input: latin1('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'),
    expected: {
      completions: 2,
      messages: [
        { statusCode: 100, statusText: 'Continue', headers: [], body: '', complete: true },
        { statusCode: 201, statusText: 'Created', body: 'ok', keepAlive: true },
      ],
    },
  },
  {
    name: '103 Early Hints (twice), then the final response',
    input: latin1(
      'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n' +
        'HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<h1/>',
    ),
    expected: {
      completions: 3,
      messages: [
        { statusCode: 103, headers: ['Link', '</style.css>; rel=preload; as=style'] },
        { statusCode: 103, headers: ['Link', '</app.js>; rel=preload; as=script'] },
        { statusCode: 200, body: '<h1/>' },
      ],
    },
  },
  {
    name: 'HEAD: Content-Length announced, no body follows (pipelined with a GET)',
    input: latin1('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'),
    options: { head: [0] },
    expected: {
      completions: 2,
      messages: [
        { contentLength: 1234, body: '', keepAlive: true },
        { contentLength: 3, body: 'abc', keepAlive: true },
      ],
    },
  },
  {
    // In onHeaders the parser cannot know yet that the response has no body (the handler says
    // so by returning SKIP_BODY), so keepAlive is only final in onComplete.
    name: 'HEAD without a length still keeps the connection',
    input: latin1('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n'),
    options: { head: [0], eof: true },
    expected: { completions: 1, eof: true, messages: [{ contentLength: null, body: '', keepAliveAtHeaders: false, keepAlive: true }] },
  },
  {
    name: '204 has no body even with a Content-Length',
    input: latin1('HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'),
    expected: {
      completions: 2,
      messages: [
        { statusCode: 204, body: '', keepAlive: true },
        { statusCode: 200, body: 'x' },
      ],
    },
  },
  {
    name: '304 has no body',
    input: latin1('HTTP/1.1 304 Not Modified\r\nETag: "abc"\r\nContent-Length: 512\r\n\r\n'),
    options: { eof: true },
    expected: { completions: 1, eof: true, messages: [{ statusCode: 304, contentLength: 512, body: '', keepAlive: true }] },
  },
  {
    name: 'several responses pipelined in one buffer',
    input: latin1(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none' +
        'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n' +
        'HTTP/1.1 204 No Content\r\n\r\n' +
        'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthree',
    ),
    expected: {
      completions: 4,
      messages: [
        { statusCode: 200, body: 'one', keepAlive: true },
        { statusCode: 404, statusText: 'Not Found', body: 'two', chunked: true, keepAlive: true },
        { statusCode: 204, body: '' },
        { statusCode: 500, statusText: 'Internal Server Error', body: 'three', keepAlive: false },
      ],
    },
  },
  {
    name: 'empty reason phrase and leading CRLF before the status line',
    input: latin1('\r\nHTTP/1.1 200 \r\nContent-Length: 0\r\n\r\nHTTP/1.1 404\r\nContent-Length: 0\r\n\r\n'),
    expected: { completions: 2, messages: [{ statusCode: 200, statusText: '' }, { statusCode: 404, statusText: '' }] },
  },
  {
    name: 'large head just under the limit',
    input: latin1(bigHeaders.head + 'end'),
    expected: {
      completions: 1,
      messages: [{ headerCount: 62, contentLength: 3, body: 'end' }],
    },
  },
]

describe('valid responses: same result however the bytes are split', () => {
  for (const [index, c] of cases.entries()) {
    it(c.name, () => {
      const reference = feed([c.input], c.options)
      expect(reference.completions).toBe(c.expected.completions)
      if (c.expected.eof !== undefined) expect(reference.eof).toBe(c.expected.eof)
      expect(reference.messages).toHaveLength(c.expected.messages.length)
      for (const [i, m] of c.expected.messages.entries()) expect(reference.messages[i]).toMatchObject(m)
      for (const [way, pieces] of splitings(c.input, 1000 + index)) {
        expect(feed(pieces, c.options), way).toEqual(reference)
      }
    })
  }

  it('the large head is really 16 bytes under the 64 KiB limit', () => {
    expect(bigHeaders.head.length).toBe(65536 - 16)
    const reference = feed([latin1(bigHeaders.head + 'end')])
    expect(reference.messages[0]!.headers[0]).toBe('X-Big-00')
    expect(reference.messages[0]!.headers[1]).toBe('v'.repeat(1070))
  })
})

describe('valid responses, with llhttp stopped at every head end (as done before large bodies)', () => {
  let previous = tuneInput({})
  beforeAll(() => void (previous = tuneInput({ splitMin: 0 })))
  afterAll(() => void tuneInput(previous))
  it('same results as the plain path (every byte copied, one llhttp_execute per chunk)', () => {
    for (const [index, c] of cases.entries()) {
      tuneInput({ skipBodies: false })
      const reference = feed([c.input], c.options)
      tuneInput({ skipBodies: true, splitMin: 0 })
      expect(feed([c.input], c.options), c.name).toEqual(reference)
      for (const [way, pieces] of splitings(c.input, 3000 + index)) {
        expect(feed(pieces, c.options), `${c.name}: ${way}`).toEqual(reference)
      }
    }
  })
})
