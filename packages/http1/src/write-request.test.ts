import { InvalidArgumentError, validatedHeaders, type HttpRequest, type ValidatedHeaders } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { prepareRequest, slices } from './write-request.js'

const base: HttpRequest = { method: 'GET', path: '/', authority: 'example.com', scheme: 'http', headers: [], body: null, sockRead: null }
const prep = (init: Partial<HttpRequest>) => prepareRequest({ ...base, ...init })
const stream = (length: number | null) => ({ length, replayable: false, async *stream() {} })

describe('prepareRequest', () => {
  test('request line, Host first, headers in order as given, blank line', () => {
    const p = prep({ path: '/a?b=c', headers: ['Accept', '*/*', 'X-Two', 'a', 'x-two', 'b'] })
    expect(p.head).toBe('GET /a?b=c HTTP/1.1\r\nhost: example.com\r\nAccept: */*\r\nX-Two: a\r\nx-two: b\r\n\r\n')
    expect(p).toMatchObject({ length: 0, chunked: false, expectContinue: false, close: false, isHead: false, bytes: null, stream: null })
  })

  test('a user Host header replaces the authority', () => {
    expect(prep({ headers: ['HOST', 'other'] }).head).toBe('GET / HTTP/1.1\r\nHOST: other\r\n\r\n')
  })

  test('framing: bytes → content-length, unknown stream → chunked, known stream → content-length', () => {
    expect(prep({ method: 'POST', body: new Uint8Array(3) }).head).toContain('content-length: 3\r\n')
    const chunked = prep({ method: 'POST', body: stream(null) })
    expect(chunked.head).toContain('transfer-encoding: chunked\r\n')
    expect(chunked).toMatchObject({ chunked: true, length: null })
    expect(prep({ method: 'POST', body: stream(42) }).head).toContain('content-length: 42\r\n')
  })

  test('content-length: 0 only for body-less POST, PUT and PATCH', () => {
    for (const m of ['POST', 'PUT', 'PATCH']) expect(prep({ method: m }).head).toContain('content-length: 0\r\n')
    for (const m of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) expect(prep({ method: m }).head).not.toContain('content-length')
    expect(prep({ method: 'HEAD' }).isHead).toBe(true)
  })

  test('user Content-Length: kept when it matches, declares a stream length, error when it conflicts', () => {
    const p = prep({ method: 'POST', headers: ['Content-Length', '3'], body: new Uint8Array(3) })
    expect(p.head.match(/content-length/gi)!.length).toBe(1)
    expect(prep({ method: 'POST', headers: ['content-length', '9'], body: stream(null) })).toMatchObject({ length: 9, chunked: false })
    expect(() => prep({ method: 'POST', headers: ['content-length', '4'], body: new Uint8Array(3) })).toThrow(InvalidArgumentError)
    expect(() => prep({ method: 'POST', headers: ['content-length', '4'], body: stream(5) })).toThrow(InvalidArgumentError)
    expect(() => prep({ headers: ['content-length', '1', 'content-length', '2'] })).toThrow(/Conflicting/)
    expect(() => prep({ headers: ['content-length', '-1'] })).toThrow(InvalidArgumentError)
  })

  test('user Transfer-Encoding: chunked frames the body; other codings and CL+TE are rejected', () => {
    const p = prep({ method: 'POST', headers: ['Transfer-Encoding', 'gzip, chunked'], body: new Uint8Array(2) })
    expect(p).toMatchObject({ chunked: true, length: null })
    expect(p.head.match(/transfer-encoding/gi)!.length).toBe(1)
    expect(prep({ method: 'POST', headers: ['transfer-encoding', 'chunked'] }).bytes!.byteLength).toBe(0)
    expect(() => prep({ headers: ['transfer-encoding', 'gzip'] })).toThrow(InvalidArgumentError)
  })

  test('expect: 100-continue only when there is a body', () => {
    const p = prep({ method: 'PUT', body: new Uint8Array(1), expectContinue: true })
    expect(p.expectContinue).toBe(true)
    expect(p.head).toContain('expect: 100-continue\r\n')
    expect(prep({ method: 'PUT', expectContinue: true }).expectContinue).toBe(false)
    const user = prep({ method: 'PUT', headers: ['Expect', '100-continue'], body: stream(null) })
    expect(user.expectContinue).toBe(true)
    expect(user.head.match(/expect/gi)!.length).toBe(1)
  })

  test('Connection: close in the request is noticed', () => {
    expect(prep({ headers: ['Connection', 'keep-alive, Close'] }).close).toBe(true)
    expect(prep({ headers: ['Connection', 'keep-alive'] }).close).toBe(false)
  })

  test('headers from validatedHeaders() are trusted; method, path and framing are always checked', () => {
    const trusted = validatedHeaders(['x-trusted', 'as given'])
    expect(prep({ headers: trusted }).head).toContain('x-trusted: as given\r\n')
    expect(() => prep({ headers: trusted, method: 'G T' })).toThrow(InvalidArgumentError)
    expect(() => prep({ headers: trusted, path: '/a b' })).toThrow(InvalidArgumentError)
    const length = validatedHeaders(['content-length', '4'])
    expect(() => prep({ headers: length, method: 'POST', body: new Uint8Array(3) })).toThrow(InvalidArgumentError)
    // A list built from a validated one (as an interceptor would) is checked again.
    expect(() => prep({ headers: [...trusted, 'x-bad', 'a\r\nb'] })).toThrow(InvalidArgumentError)
    // A cast is no brand: only the registry counts.
    expect(() => prep({ headers: ['x-bad', 'a\nb'] as unknown as ValidatedHeaders })).toThrow(InvalidArgumentError)
  })

  test('common methods take the fast path; any other token is accepted, a non-token is not', () => {
    for (const m of ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS']) expect(prep({ method: m }).head.startsWith(`${m} / HTTP/1.1\r\n`)).toBe(true)
    expect(prep({ method: 'PROPFIND' }).head.startsWith('PROPFIND / HTTP/1.1\r\n')).toBe(true)
    for (const m of ['get\r\n', 'GET ', 'G\u0000T', 'GÉT']) expect(() => prep({ method: m })).toThrow(InvalidArgumentError)
  })

  test('CR, LF, NUL and bad tokens are rejected', () => {
    for (const bad of [
      { method: 'G T' },
      { method: '' },
      { path: '/a\nb' },
      { path: '' + '/\u0000' },
      { headers: ['a:b', 'v'] },
      { headers: ['ok', 'v\r'] },
      { headers: ['ok', 'é€'] },
      { authority: 'a\r\nb' },
      { body: 'string' as unknown as Uint8Array },
      { body: stream(-1) },
    ]) {
      expect(() => prep(bad)).toThrow(InvalidArgumentError)
    }
  })
})


test('slices cuts bytes in pieces of the given size', () => {
  expect([...slices(new Uint8Array(10), 4)].map((s) => s.byteLength)).toEqual([4, 4, 2])
  expect([...slices(new Uint8Array(0), 4)]).toEqual([])
})
