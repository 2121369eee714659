// Body bytes that llhttp only counts (Content-Length bodies, chunk data, read-until-close bodies)
// are not copied into WASM memory, and a chunk that is all body skips llhttp altogether. These
// tests feed large bodies split at every position around where the body (or a chunk) ends, with
// pauses, errors and pipelined responses, and check the bytes copied into WASM memory: they fail
// if the body bytes are copied.
import { ResponseTooLargeError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { PAUSE, ResponseParser } from '../src/index.js'
import { inputBytesCopied } from '../src/llhttp-runtime.js'
import { chunkedOf, cutAt, drive, expectedCopy, randomBytes, READ, withLength, type Layout } from './body-helpers.js'
import { latin1, prng, randomSplit } from './helpers.js'

describe('body bytes are not copied into WASM memory', () => {
  const body = randomBytes(200_000, 1)
  const first = withLength(body)
  const next = withLength(latin1('hello'), 201)
  const stream = Buffer.concat([first, next])
  const bodyEnd = first.length
  const head = first.length - body.length
  const layout: Layout = {
    ranges: [
      [head, bodyEnd],
      [stream.length - 5, stream.length],
    ],
    endsMessage: new Set([0, 1]),
    starts: new Set([0, bodyEnd]),
  }

  it('a Content-Length body split at every position around its end, followed by a pipelined response', () => {
    for (const pause of [false, true]) {
      for (let d = -80; d <= next.length + 2; d++) {
        const pieces = cutAt(stream, [head + 1000, bodyEnd + d])
        const result = drive(pieces, { pause })
        const where = `cut at body end ${d >= 0 ? '+' : ''}${d}${pause ? ', pausing' : ''}`
        expect(result.statuses, where).toEqual([200, 201])
        expect(result.completions, where).toBe(2)
        expect(result.bodies[0]!.equals(body), where).toBe(true)
        expect(result.bodies[1]!.toString(), where).toBe('hello')
        if (pause) continue
        expect(result.copied, where).toBe(expectedCopy(stream, pieces, layout))
        // That is: the first read (head + 1000 body bytes) and the next response up to a read inside its body.
        const nextHead = next.length - 5
        expect(result.copied, where).toBe(head + 1000 + (d >= nextHead && d < next.length ? d : next.length))
      }
    }
  })

  it('a read ending exactly at the end of the head, or of the body, copies no body byte', () => {
    // Head alone, then the body in reads, the last one ending exactly at the body end.
    const result = drive(cutAt(stream, [head, bodyEnd]))
    expect(result.bodies[0]!.equals(body)).toBe(true)
    expect(result.completions).toBe(2)
    expect(result.copied).toBe(head + next.length)
    // One read holding exactly the whole body.
    const exact = drive([stream.subarray(0, head), Uint8Array.from(body), next])
    expect(exact.bodies[0]!.equals(body)).toBe(true)
    expect(exact.completions).toBe(2)
    expect(exact.copied).toBe(head + next.length)
  })

  it('pause in the middle of a body: execute() returns the whole chunk, 0 while paused, resume() goes on', () => {
    const parser = new ResponseParser()
    const pieces: number[] = []
    let completions = 0
    parser.onBody = (view) => {
      pieces.push(view.length)
      return PAUSE
    }
    parser.onComplete = () => void completions++
    const reads = cutAt(stream, [head + 10, bodyEnd - 5])
    const before = inputBytesCopied()
    expect(parser.execute(reads[0]!)).toBe(head + 10)
    parser.resume()
    expect(parser.execute(reads[1]!)).toBe(reads[1]!.length)
    expect(parser.execute(reads[2]!)).toBe(0)
    expect(parser.inMessage).toBe(true)
    parser.resume()
    for (let i = 2; i < reads.length - 1; i++) {
      expect(parser.execute(reads[i]!)).toBe(reads[i]!.length)
      parser.resume()
    }
    // The last read: 5 body bytes, then the next response; the pause stops right after the body.
    const last = reads.at(-1)!
    expect(parser.execute(last)).toBe(5)
    expect(completions).toBe(0)
    parser.resume()
    expect(completions).toBe(1)
    // Its body is the last piece of this input: the pause comes before the message completes.
    expect(parser.execute(last.subarray(5))).toBe(next.length)
    expect(completions).toBe(1)
    parser.resume()
    expect(completions).toBe(2)
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(body.length + 5)
    // Copied: the first read, and the last one (its 5 body bytes skipped) once more after the pause.
    expect(inputBytesCopied() - before).toBe(head + 10 + next.length + next.length)
    parser.destroy()
  })

  it('a pause on the piece that ends the body completes the message inside resume()', () => {
    const parser = new ResponseParser()
    let completions = 0
    parser.onBody = () => PAUSE
    parser.onComplete = () => void completions++
    parser.execute(first.subarray(0, head + 3))
    parser.resume()
    expect(parser.execute(first.subarray(head + 3))).toBe(body.length - 3)
    expect(completions).toBe(0)
    parser.resume()
    expect(completions).toBe(1)
    expect(parser.inMessage).toBe(false)
    parser.destroy()
  })

  it('chunk data split at every position around each chunk end', () => {
    const chunks = [randomBytes(100_000, 2), randomBytes(70_000, 3), randomBytes(1, 4), randomBytes(5000, 5)]
    const chunked = chunkedOf(chunks)
    const all = Buffer.concat(chunks)
    const input = Buffer.concat([chunked, next])
    const ranges: Array<[number, number]> = [[input.length - 5, input.length]]
    let from = 0
    for (const chunk of chunks) {
      const start = chunked.indexOf(chunk, from)
      ranges.push([start, start + chunk.length])
      from = start + chunk.length
    }
    const layout: Layout = { ranges, endsMessage: new Set([0]), starts: new Set([0, chunked.length]) }
    for (const pause of [false, true]) {
      for (const [start, end] of ranges.slice(1)) {
        for (const cut of [start - 2, start - 1, start, start + 1, start + 2, end - 2, end - 1, end, end + 1, end + 2, end + 3]) {
          const pieces = cutAt(input, [cut])
          const result = drive(pieces, { pause })
          const where = `cut at ${cut} (chunk data [${start}, ${end}))${pause ? ', pausing' : ''}`
          expect(result.completions, where).toBe(2)
          expect(result.bodies[0]!.equals(all), where).toBe(true)
          expect(result.bodies[1]!.toString(), where).toBe('hello')
          if (!pause) expect(result.copied, where).toBe(expectedCopy(input, pieces, layout))
        }
      }
    }
    // Reads that start inside chunk data copy none of it: the second read here copies nothing.
    const pieces = [input.subarray(0, ranges[1]![0] + 100), input.subarray(ranges[1]![0] + 100, ranges[1]![0] + 100 + READ), input.subarray(ranges[1]![0] + 100 + READ)]
    const before = inputBytesCopied()
    const skipped = drive(pieces.slice(0, 2))
    expect(skipped.bodies[0]!.length).toBe(100 + READ)
    expect(inputBytesCopied() - before).toBe(pieces[0]!.length)
  })

  it('a read-until-close body is not copied; finish() completes it', () => {
    const until = Buffer.concat([latin1('HTTP/1.1 200 OK\r\n\r\n'), body])
    const result = drive(cutAt(until, [30]), { eof: true })
    expect(result.eof).toBe(true)
    expect(result.completions).toBe(1)
    expect(result.bodies[0]!.equals(body)).toBe(true)
    expect(result.copied).toBe(30)
  })

  it('random splits of a mixed pipeline give the same result as feeding it whole', () => {
    const chunks = [randomBytes(90_000, 7), randomBytes(3, 8), randomBytes(70_000, 9)]
    const parts = [
      withLength(randomBytes(150_000, 6)),
      chunkedOf(chunks),
      next,
      withLength(randomBytes(65_536, 10)),
      latin1('HTTP/1.1 200 OK\r\n\r\n'),
      randomBytes(80_000, 11),
    ]
    const input = Buffer.concat(parts)
    const at = (part: number): number => parts.slice(0, part).reduce((n, p) => n + p.length, 0)
    const layout: Layout = {
      ranges: [
        [at(0) + parts[0]!.length - 150_000, at(1)],
        [at(3) - 5, at(3)],
        [at(4) - 65_536, at(4)],
        // Read-until-close: from its second byte (llhttp waits before the first in another state).
        [at(5) + 1, Infinity],
      ],
      endsMessage: new Set([0, 1, 2]),
      starts: new Set([0, 1, 2, 3, 4].map(at)),
    }
    let from = at(1)
    for (const chunk of chunks) {
      const start = input.indexOf(chunk, from)
      layout.ranges.push([start, start + chunk.length])
      from = start + chunk.length
    }
    const reference = drive([input], { eof: true })
    expect(reference.completions).toBe(5)
    const random = prng(12)
    for (let round = 0; round < 30; round++) {
      const pause = round % 3 === 0
      const pieces = randomSplit(input, random, 1 + (round % 40))
      const result = drive(pieces, { pause, eof: true })
      if (!pause) expect(result.copied, `round ${round}`).toBe(expectedCopy(input, pieces, layout))
      expect(result.statuses).toEqual(reference.statuses)
      expect(result.completions).toBe(5)
      expect(result.eof).toBe(true)
      result.bodies.forEach((b, i) => expect(b.equals(reference.bodies[i]!), `round ${round} body ${i}`).toBe(true))
    }
  })

  it('a body longer than 4 GiB: the 64-bit count is kept exactly', () => {
    const big = 2 ** 32 + 100
    const parser = new ResponseParser()
    let received = 0
    let completions = 0
    parser.onBody = (view) => void (received += view.length)
    parser.onComplete = () => void completions++
    parser.execute(latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${big}\r\n\r\n`))
    const read = new Uint8Array(1024 * 1024)
    const before = inputBytesCopied()
    for (let i = 0; i < 4096; i++) expect(parser.execute(read)).toBe(read.length)
    expect(inputBytesCopied() - before).toBe(0)
    expect(completions).toBe(0)
    expect(parser.execute(Buffer.concat([new Uint8Array(100), next]))).toBe(100 + next.length)
    expect(received).toBe(big + 5)
    expect(completions).toBe(2)
    parser.destroy()
  })

  it('Buffer chunks give plain Uint8Array views of the same memory', () => {
    const parser = new ResponseParser()
    const views: Uint8Array[] = []
    parser.onBody = (view) => void views.push(view)
    parser.execute(stream.subarray(0, head + 1))
    const read = stream.subarray(head + 1, head + 1 + READ)
    parser.execute(read)
    expect(views).toHaveLength(2)
    expect(views[1]!.constructor).toBe(Uint8Array)
    expect(views[1]!.buffer).toBe(read.buffer)
    expect(views[1]!.byteOffset).toBe(read.byteOffset)
    expect(views[1]!.length).toBe(READ)
    parser.destroy()
  })
})

describe('handlers on a body chunk that skips llhttp', () => {
  const body = randomBytes(3 * READ, 20)
  const input = withLength(body)
  const head = input.length - body.length

  it('an exception fails the parser until reset(); finish() then reports false', () => {
    const parser = new ResponseParser()
    const boom = new Error('boom')
    let calls = 0
    parser.onBody = () => {
      if (++calls === 2) throw boom
    }
    parser.execute(input.subarray(0, head + 10))
    expect(() => parser.execute(input.subarray(head + 10, head + 10 + READ))).toThrow(boom)
    expect(() => parser.execute(input.subarray(head + 10 + READ))).toThrow(boom)
    expect(parser.finish()).toBe(false)
    parser.reset()
    parser.onBody = null
    let completions = 0
    parser.onComplete = () => void completions++
    expect(parser.execute(input)).toBe(input.length)
    expect(completions).toBe(1)
    parser.destroy()
  })

  it('destroy() from the handler takes effect when execute() returns', () => {
    const parser = new ResponseParser()
    let calls = 0
    parser.onBody = () => {
      if (++calls === 2) parser.destroy()
    }
    parser.execute(input.subarray(0, head + 10))
    expect(parser.execute(input.subarray(head + 10, head + 10 + READ))).toBe(READ)
    expect(() => parser.execute(input.subarray(head + 10 + READ))).toThrow(/destroyed/)
  })

  it('the handler may feed another parser, which uses the shared input buffer meanwhile', () => {
    const outer = new ResponseParser()
    const inner = new ResponseParser()
    let innerBody = ''
    inner.onBody = (v) => void (innerBody += Buffer.from(v).toString())
    let outerBytes = 0
    outer.onBody = (v) => {
      outerBytes += v.length
      inner.execute(withLength(latin1(`inner-${outerBytes}|`)))
    }
    outer.execute(input.subarray(0, head + 10))
    for (let at = head + 10; at < input.length; at += READ) outer.execute(input.subarray(at, Math.min(at + READ, input.length)))
    expect(outerBytes).toBe(body.length)
    expect(innerBody.split('|').length).toBe(5)
    outer.destroy()
    inner.destroy()
  })

  it('the head size limit stays exact for a head that follows a skipped body in the same read', () => {
    const headOf = (pad: number, length: number): Buffer => latin1(`HTTP/1.1 200 OK\r\nX-Pad: ${'p'.repeat(pad)}\r\nContent-Length: ${length}\r\n\r\n`)
    const limit = head + 20
    const fits = limit - headOf(0, 2).length
    for (const [pad, ok] of [
      [fits, true],
      [fits + 1, false],
    ] as const) {
      const second = headOf(pad, 2)
      const stream = Buffer.concat([input, second, latin1('ok')])
      const parser = new ResponseParser({ maxHeaderSize: limit })
      let completions = 0
      parser.onComplete = () => void completions++
      const pieces = cutAt(stream, [head + 7, input.length - 3])
      const feed = (): void => {
        for (const piece of pieces) expect(parser.execute(piece)).toBe(piece.length)
      }
      if (ok) {
        feed()
        expect(completions).toBe(2)
      } else {
        expect(feed).toThrow(ResponseTooLargeError)
        expect(completions).toBe(1)
      }
      parser.destroy()
    }
  })
})
