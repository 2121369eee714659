// execute() stops llhttp at the end of a head that is followed by enough bytes, so that a body
// beginning in the middle of a chunk is not copied either. These tests check the bytes copied, and
// that every callback, body piece and pause point is exactly what the plain path (every byte
// copied, one llhttp_execute per chunk) gives.
import { describe, expect, it } from 'vitest'
import { PAUSE, ResponseParser, SKIP_BODY } from '../src/index.js'
import { tuneInput } from '../src/llhttp-runtime.js'
import { chunkedOf, cutAt, drive, expectedCopy, randomBytes, READ, withLength, type Layout } from './body-helpers.js'
import { byteByByte, latin1, prng, randomSplit } from './helpers.js'

describe('llhttp stopped at the end of a head, so that the body after it is not copied', () => {
  const headOf = (length: number): Buffer =>
    latin1(`HTTP/1.1 200 OK\r\nServer: test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`)

  it('a download: the first read (head + body) copies the head only, the others nothing', () => {
    const body = randomBytes(1024 * 1024, 30)
    const input = Buffer.concat([headOf(body.length), body])
    const result = drive(cutAt(input, []))
    expect(result.bodies[0]!.equals(body)).toBe(true)
    expect(result.completions).toBe(1)
    expect(result.copied).toBe(headOf(body.length).length)
  })

  it('pipelined 64 KiB responses in 64 KiB reads: only the heads are copied', () => {
    const body = randomBytes(READ, 31)
    const one = Buffer.concat([headOf(body.length), body])
    const input = Buffer.concat(Array.from({ length: 40 }, () => one))
    const pieces = cutAt(input, [])
    const result = drive(pieces)
    expect(result.completions).toBe(40)
    for (const b of result.bodies) expect(b.equals(body)).toBe(true)
    const heads = 40 * (one.length - body.length)
    const layout: Layout = { ranges: [], endsMessage: new Set(), starts: new Set() }
    for (let i = 0; i < 40; i++) {
      layout.starts.add(i * one.length)
      layout.endsMessage.add(layout.ranges.push([i * one.length + one.length - body.length, (i + 1) * one.length]) - 1)
    }
    expect(result.copied).toBe(expectedCopy(input, pieces, layout))
    // Heads cut by a read boundary take the rest of their read with them; nothing else is copied.
    expect(result.copied).toBeLessThan(heads + 2 * READ)
  })

  it('small pipelined responses: at most one stop per read, results unchanged', () => {
    const small = withLength(latin1('Hello, World!'))
    const input = Buffer.concat(Array.from({ length: 2000 }, () => small))
    const pieces = cutAt(input, [])
    const result = drive(pieces)
    expect(result.completions).toBe(2000)
    const layout: Layout = { ranges: [], endsMessage: new Set(), starts: new Set() }
    for (let i = 0; i < 2000; i++) {
      layout.starts.add(i * small.length)
      layout.endsMessage.add(layout.ranges.push([(i + 1) * small.length - 13, (i + 1) * small.length]) - 1)
    }
    expect(result.copied).toBe(expectedCopy(input, pieces, layout))
    // Only body bytes at the start of a read are skipped.
    expect(result.copied).toBeGreaterThan(input.length - 13 * pieces.length)
  })

  /** Every callback, with offsets in the executed chunk, and every execute() return value. */
  function events(pieces: Uint8Array[], pause: boolean, skipBodyOf: number[]): string[] {
    const parser = new ResponseParser()
    const out: string[] = []
    let chunk: Uint8Array = new Uint8Array(0)
    let heads = 0
    parser.onHeaders = (p) => {
      out.push(`headers ${p.statusCode} ${p.headersFlat().join('|')} keep-alive ${p.keepAlive}`)
      return skipBodyOf.includes(heads++) ? SKIP_BODY : 0
    }
    parser.onBody = (view) => {
      out.push(`body ${view.byteOffset - chunk.byteOffset} ${view.length} ${Buffer.from(view).toString('latin1', 0, 4)}`)
      return pause ? PAUSE : 0
    }
    parser.onComplete = (p) => {
      out.push(`complete keep-alive ${p.keepAlive}`)
      return pause ? PAUSE : 0
    }
    try {
      for (const piece of pieces) {
        for (let offset = 0, guard = 0; offset < piece.length && guard < 1000; guard++) {
          chunk = piece.subarray(offset)
          const consumed = parser.execute(chunk)
          out.push(`consumed ${consumed}`)
          offset += consumed
          parser.resume()
        }
      }
      out.push(`eof ${parser.finish()}`)
    } catch (error) {
      out.push(`error ${String(error)}`)
    } finally {
      parser.destroy()
    }
    return out
  }

  it('callbacks, body pieces and pause points are exactly those of the plain path', () => {
    const big = (n: number, seed: number): Buffer => withLength(randomBytes(n, seed))
    const input = Buffer.concat([
      latin1('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'),
      big(10_000, 40),
      latin1('HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n'),
      // Answers a HEAD request (SKIP_BODY): no body, whatever Content-Length says.
      latin1('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'),
      chunkedOf([randomBytes(5000, 41), randomBytes(10, 42), randomBytes(7000, 43)]),
      big(13, 44),
      big(0, 45),
      latin1('HTTP/1.1 304 Not Modified\r\nContent-Length: 512\r\n\r\n'),
      big(70_000, 46),
      latin1('\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'),
      randomBytes(9000, 47),
    ])
    // Message 4 is the HEAD answer (messages: 100, 103, 200, 204, HEAD, ...).
    const skip = [4]
    const random = prng(48)
    const splits: Array<[string, Uint8Array[]]> = [
      ['whole', [input]],
      ['64 KiB reads', cutAt(input, [])],
      ['byte by byte', byteByByte(input.subarray(0, 20_000)).concat([input.subarray(20_000)])],
    ]
    for (let i = 0; i < 12; i++) splits.push([`random ${i}`, randomSplit(input, random, 1 + i * 3)])
    const previous = tuneInput({})
    try {
      for (const [way, pieces] of splits) {
        for (const pause of [false, true]) {
          tuneInput({ skipBodies: false })
          const reference = events(pieces, pause, skip)
          expect(reference.at(-1), way).toBe('eof true')
          for (const splitMin of [previous.splitMin, 0, Infinity]) {
            tuneInput({ skipBodies: true, splitMin })
            expect(events(pieces, pause, skip), `${way}, split at ${splitMin}${pause ? ', pausing' : ''}`).toEqual(reference)
          }
        }
      }
    } finally {
      tuneInput(previous)
    }
  })
})
