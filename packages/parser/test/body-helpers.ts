// Helpers of the tests of the body path (test/body-skip.test.ts, test/head-split.test.ts): building
// streams with large bodies, cutting them into reads, feeding them while checking every body view,
// and the bytes execute() should copy into WASM memory.
import { PAUSE, ResponseParser } from '../src/index.js'
import { inputBytesCopied } from '../src/llhttp-runtime.js'
import { latin1, prng, splitAt } from './helpers.js'

export const READ = 64 * 1024

export function randomBytes(length: number, seed: number): Buffer {
  const random = prng(seed)
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256)
  return out
}

export const withLength = (body: Uint8Array, status = 200): Buffer =>
  Buffer.concat([latin1(`HTTP/1.1 ${status} OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])

export function chunkedOf(chunks: Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')]
  for (const chunk of chunks) parts.push(latin1(`${chunk.length.toString(16)}\r\n`), chunk, latin1('\r\n'))
  parts.push(latin1('0\r\n\r\n'))
  return Buffer.concat(parts)
}

/** Pieces of `bytes`, each in its own buffer: cut at every point of `cuts` and every READ bytes. */
export function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points: number[] = [...cuts]
  for (let at = READ; at < bytes.length; at += READ) points.push(at)
  return splitAt(bytes, points)
}

/** Where the bodies of a stream are, and where its messages begin. */
export interface Layout {
  /** Content-Length bodies and chunk data [start, end); a read-until-close body [start + 1, Infinity). */
  ranges: Array<[number, number]>
  /** The subset of `ranges` whose end is the end of a message (Content-Length bodies). */
  endsMessage: Set<number>
  /** Offsets where a message begins. */
  starts: Set<number>
}

/**
 * Bytes execute() should copy when fed `pieces` of `input` without pauses. A read (or the part of
 * it after a head) that begins inside a body range skips to the range's end; where a message begins
 * with at least SPLIT_MIN bytes after it, llhttp is stopped after its head (the first CRLF CRLF),
 * for as long as the bodies found that way are at least SPLIT_MIN long. Everything else is copied.
 */
export function expectedCopy(input: Uint8Array, pieces: Uint8Array[], layout: Layout): number {
  const SPLIT_MIN = 4096
  const ahead = (at: number): [number, boolean] => {
    const i = layout.ranges.findIndex(([start, end]) => at >= start && at < end)
    return i < 0 ? [0, false] : [layout.ranges[i]![1] - at, layout.endsMessage.has(i)]
  }
  let offset = 0
  let copied = 0
  for (const piece of pieces) {
    const last = offset + piece.length
    let [skip, ends] = ahead(offset)
    for (let at = offset, split = true; skip <= last - at; ) {
      const from = at + skip
      let end = last
      if (split && last - from >= SPLIT_MIN && (skip === 0 ? layout.starts.has(at) : ends)) {
        const found = Buffer.from(input.buffer, input.byteOffset, last).indexOf('\r\n\r\n', from)
        if (found >= 0) end = found + 4
      }
      copied += end - from
      at = end
      if (at === last) break
      ;[skip, ends] = ahead(at)
      if (skip < SPLIT_MIN) split = false
    }
    offset = last
  }
  return copied
}

export interface Result {
  bodies: Buffer[]
  statuses: number[]
  completions: number
  /** Bytes copied into WASM memory while feeding. */
  copied: number
  eof?: boolean
}

/**
 * Feeds `pieces` (pausing after every body piece and every message when `pause`), checking that
 * every body view is a view of the chunk given to execute(), never of WASM memory.
 */
export function drive(pieces: Uint8Array[], options: { pause?: boolean; eof?: boolean } = {}): Result {
  const parser = new ResponseParser()
  const bodies: Uint8Array[][] = []
  const statuses: number[] = []
  let completions = 0
  let chunk: Uint8Array = new Uint8Array(0)
  parser.onHeaders = (p) => {
    statuses.push(p.statusCode)
    bodies.push([])
  }
  parser.onBody = (view) => {
    if (view.buffer !== chunk.buffer || view.byteOffset < chunk.byteOffset || view.byteOffset + view.length > chunk.byteOffset + chunk.length) {
      throw new Error('body view outside the executed chunk')
    }
    if (view.constructor !== Uint8Array) throw new Error('body view is not a plain Uint8Array')
    bodies.at(-1)!.push(Uint8Array.from(view))
    return options.pause === true ? PAUSE : 0
  }
  parser.onComplete = () => {
    completions++
    return options.pause === true ? PAUSE : 0
  }
  const before = inputBytesCopied()
  try {
    for (const piece of pieces) {
      let offset = 0
      for (let guard = 0; offset < piece.length; guard++) {
        if (guard > 1000) throw new Error('no progress')
        chunk = piece.subarray(offset)
        const consumed = parser.execute(chunk)
        if (options.pause !== true && consumed !== chunk.length) throw new Error(`consumed ${consumed} of ${chunk.length}`)
        offset += consumed
        parser.resume()
      }
    }
    const copied = inputBytesCopied() - before
    const eof = options.eof === true ? parser.finish() : undefined
    const result: Result = { bodies: bodies.map((b) => Buffer.concat(b)), statuses, completions, copied }
    if (eof !== undefined) result.eof = eof
    return result
  } finally {
    parser.destroy()
  }
}
