// Test helpers: feed a byte stream to a ResponseParser in given pieces and record what it reports.
import { prng } from '@sonic/test-utils'
import { ResponseParser, SKIP_BODY, type ResponseParserOptions } from '../src/index.js'

/** Mulberry32 (see @sonic/test-utils): "random" splits are the same on every run. */
export { prng } from '@sonic/test-utils'

export interface Message {
  statusCode: number
  statusText: string
  version: string
  headers: string[]
  headerCount: number
  contentLengthHeader: string | null
  contentLength: number | null
  chunked: boolean
  upgrade: boolean
  keepAliveAtHeaders: boolean
  keepAlive: boolean | null
  body: string
  complete: boolean
  /** Trailer fields (chunked bodies) as reported at onComplete: [name, value, …]. */
  trailers: string[]
}

export interface Outcome {
  messages: Message[]
  completions: number
  /** finish() result, or the error code it threw; undefined when not asked for. */
  eof?: boolean | string
}

export interface FeedOptions extends ResponseParserOptions {
  /** Indexes of the messages answering HEAD requests (onHeaders returns SKIP_BODY). */
  head?: number[]
  /** Call finish() after the last piece. */
  eof?: boolean
}

/** Feeds `pieces` in order; every execute() must consume its whole piece. */
export function feed(pieces: Uint8Array[], options: FeedOptions = {}): Outcome {
  const parser = new ResponseParser(options)
  const messages: Message[] = []
  let completions = 0
  let current: Message | null = null
  parser.onHeaders = (p) => {
    current = {
      statusCode: p.statusCode,
      statusText: p.statusText,
      version: `${p.versionMajor}.${p.versionMinor}`,
      headers: p.headersFlat(),
      headerCount: p.headerCount,
      contentLengthHeader: p.header('content-length'),
      contentLength: p.contentLength,
      chunked: p.chunked,
      upgrade: p.upgrade,
      keepAliveAtHeaders: p.keepAlive,
      keepAlive: null,
      body: '',
      complete: false,
      trailers: [],
    }
    messages.push(current)
    return options.head?.includes(messages.length - 1) === true ? SKIP_BODY : 0
  }
  parser.onBody = (chunk) => {
    current!.body += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1')
  }
  parser.onComplete = (p) => {
    completions++
    current!.complete = true
    current!.keepAlive = p.keepAlive
    current!.trailers = p.trailersFlat()
    if (p.trailerCount * 2 !== current!.trailers.length) throw new Error('trailerCount disagrees with trailersFlat()')
  }
  try {
    for (const piece of pieces) {
      const consumed = parser.execute(piece)
      if (consumed !== piece.length) throw new Error(`execute consumed ${consumed} of ${piece.length}`)
    }
    const eof = options.eof === true ? parser.finish() : undefined
    const outcome: Outcome = { messages, completions }
    if (eof !== undefined) outcome.eof = eof
    return outcome
  } finally {
    parser.destroy()
  }
}

/** Like feed() but expects an error; returns it. */
export function feedError(pieces: Uint8Array[], options: FeedOptions = {}): unknown {
  try {
    feed(pieces, options)
  } catch (error) {
    return error
  }
  throw new Error('expected the parser to throw')
}

export function whole(bytes: Uint8Array): Uint8Array[] {
  return [bytes]
}

export function byteByByte(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1))
  return out
}

/**
 * `bytes` cut at `cuts` random points. Each piece is copied into its own buffer (as separate
 * socket reads would be), so nothing can rely on the pieces sharing memory.
 */
export function randomSplit(bytes: Uint8Array, random: () => number, cuts: number): Uint8Array[] {
  const points = new Set<number>()
  for (let i = 0; i < cuts && bytes.length > 1; i++) points.add(1 + Math.floor(random() * (bytes.length - 1)))
  return splitAt(bytes, points)
}

/** `bytes` cut at every point in `points` (0 < point < length), each piece a fresh copy. */
export function splitAt(bytes: Uint8Array, points: Iterable<number>): Uint8Array[] {
  const sorted = [...new Set(points)].filter((at) => at > 0 && at < bytes.length).sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const at of [...sorted, bytes.length]) {
    out.push(Uint8Array.from(bytes.subarray(from, at)))
    from = at
  }
  return out
}

/** The ways every corpus entry is fed: whole, byte by byte, and seeded random splits. */
export function splitings(bytes: Uint8Array, seed: number): Array<[string, Uint8Array[]]> {
  const random = prng(seed)
  const ways: Array<[string, Uint8Array[]]> = [
    ['whole', whole(bytes)],
    ['byte by byte', byteByByte(bytes)],
  ]
  for (const cuts of [1, 2, 3, 7, 31]) ways.push([`${cuts} random cuts`, randomSplit(bytes, random, cuts)])
  return ways
}

export function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1')
}
