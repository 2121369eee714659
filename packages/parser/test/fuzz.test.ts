// Bounded fuzz of ResponseParser: valid responses (Content-Length, chunked with extensions and
// trailers, 1xx then final, keep-alive pipelines, HEAD-like skipped bodies, read-until-close) are
// mutated (byte flips, inserted CR/LF/NUL/obs-text, deletions, truncation, duplication, huge sizes)
// and fed whole and split at random points, on parsers reused through reset(). Properties:
//   - only HttpParserError or ResponseTooLargeError is ever thrown (by execute(), resume(), finish());
//     after one, execute() throws it again and finish() returns false;
//   - however an input is split (and whatever the input tuning, and with pauses), the parser reports
//     the same heads, bodies, trailers, completions and error;
//   - an unmutated response gives exactly the expected bodies and trailers, on a parser that just failed on garbage;
//   - at most one onComplete per head; body views lie inside the chunk being executed, in order, never
//     overlapping (so never more body bytes than input);
//   - WASM memory does not grow with the number of inputs (parsers reused, destroyed ones recycled).
// SONIC_FUZZ_SEED (decimal or 0x-hex) replays a run, SONIC_FUZZ_N sets the number of mutated
// inputs (default 200,000). A failure names the seed, the input's index and prints it as hex.
// The default seed is fixed, so a test run is repeatable (CI never fails by chance);
// SONIC_FUZZ_SEED=random explores a new seed each run.
import { randomInt } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HttpParserError, ResponseTooLargeError } from '@sonic/core'
import { afterAll, describe, expect, it } from 'vitest'
import { PAUSE, ResponseParser, SKIP_BODY } from '../src/index.js'
import { getRuntime, tuneInput } from '../src/llhttp-runtime.js'
import { prng } from './helpers.js'

const DEFAULT_SEED = 1
const SEED = process.env.SONIC_FUZZ_SEED === 'random' ? randomInt(0, 2 ** 31) : (parseSeed(process.env.SONIC_FUZZ_SEED) ?? DEFAULT_SEED)
const N = Number(process.env.SONIC_FUZZ_N ?? 200_000)
/** Stack traces of the (many) expected errors cost a third of the run: off unless asked for. */
const STACKS = process.env.SONIC_FUZZ_STACKS === '1'
const EMPTY = new Uint8Array(0)
const defaults = tuneInput({})

function parseSeed(text: string | undefined): number | null {
  if (text === undefined || text === '') return null
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`SONIC_FUZZ_SEED must be an integer, got ${text}`)
  return n >>> 0
}

type Random = () => number

// ---- generating valid responses ----

interface Expected {
  status: number
  body: Uint8Array
  /** Trailer fields of a chunked body, [name, value, …] (values without trailing whitespace). */
  trailers?: string[]
}

interface Valid {
  kind: string
  bytes: Buffer
  /** Every message the parser reports, 1xx included, in order. */
  messages: Expected[]
  /** Indexes of messages answering a HEAD-like request (onHeaders returns SKIP_BODY). */
  skip: Set<number>
  /** The last body runs until close: complete only at finish(). */
  eof: boolean
}

const int = (r: Random, n: number): number => Math.floor(r() * n)
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1')

const NAMES = ['Content-Type', 'Server', 'Date', 'Cache-Control', 'ETag', 'Vary', 'Set-Cookie', 'X-Request-Id', 'x-lower', 'X-Obs', 'Link']
const STATUSES = [200, 201, 202, 203, 206, 301, 400, 404, 410, 500, 503]
const REASONS = ['OK', '', 'Created', 'Not Found', 'Tr\xe8s bien', 'Whatever you like']

function bytes(r: Random, n: number): Buffer {
  const out = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) out[i] = int(r, 256)
  return out
}

/** A header value: visible ASCII, spaces, HTAB and obs-text (no leading whitespace). */
function value(r: Random): string {
  let s = String.fromCharCode(0x21 + int(r, 94))
  for (let i = int(r, 24); i > 0; i--) {
    const c = r()
    s += c < 0.08 ? ' ' : c < 0.1 ? '\t' : c < 0.2 ? String.fromCharCode(0x80 + int(r, 128)) : String.fromCharCode(0x21 + int(r, 94))
  }
  return s
}

function headers(r: Random): string {
  let s = ''
  for (let i = int(r, 4); i > 0; i--) s += `${pick(r, NAMES)}: ${value(r)}\r\n`
  return s
}

function statusLine(r: Random, status: number, version = '1.1'): string {
  const reason = pick(r, REASONS)
  return `HTTP/${version} ${status}${reason === '' && r() < 0.5 ? '' : ` ${reason}`}\r\n`
}

const bodySize = (r: Random): number => (r() < 0.02 ? 4096 + int(r, 16384) : r() < 0.2 ? 0 : int(r, 64))

function hex(r: Random, n: number): string {
  const h = n.toString(16)
  return r() < 0.3 ? h.toUpperCase() : h
}

function extension(r: Random): string {
  let s = ''
  for (let i = r() < 0.7 ? 0 : 1 + int(r, 2); i > 0; i--) {
    const name = pick(r, ['a', 'ext', 'name', 'x-y'])
    const c = r()
    s += c < 0.3 ? `;${name}` : c < 0.7 ? `;${name}=${pick(r, ['1', 'v', 'tok-en'])}` : `;${name}="${pick(r, ['', 'q v', 'a;b=c', 'x\\"y'])}"`
  }
  return s
}

/** One final response, appended to `parts`/`messages`. */
function finalResponse(r: Random, parts: Buffer[], messages: Expected[], skip: Set<number>, last: boolean): { eof: boolean } {
  const status = pick(r, STATUSES)
  const c = r()
  if (c < 0.08) {
    // No body by status.
    const s = pick(r, [204, 304])
    parts.push(latin1(`${statusLine(r, s)}${headers(r)}\r\n`))
    messages.push({ status: s, body: EMPTY })
    return { eof: false }
  }
  if (c < 0.2) {
    // A HEAD-like answer: headers announce a body that is not sent.
    const framing = r() < 0.6 ? `Content-Length: ${r() < 0.2 ? 123456789 : int(r, 5000)}\r\n` : 'Transfer-Encoding: chunked\r\n'
    skip.add(messages.length)
    parts.push(latin1(`${statusLine(r, status)}${headers(r)}${framing}${headers(r)}\r\n`))
    messages.push({ status, body: EMPTY })
    return { eof: false }
  }
  if (last && c < 0.3) {
    // Read until close (HTTP/1.1 without framing, or HTTP/1.0).
    const body = bytes(r, bodySize(r))
    const version = r() < 0.5 ? '1.0' : '1.1'
    parts.push(latin1(`${statusLine(r, status, version)}${headers(r)}${r() < 0.5 ? 'Connection: close\r\n' : ''}\r\n`), body)
    messages.push({ status, body })
    return { eof: true }
  }
  if (c < 0.6) {
    const body = bytes(r, bodySize(r))
    parts.push(latin1(`${statusLine(r, status)}${headers(r)}Content-Length: ${body.length}\r\n${headers(r)}\r\n`), body)
    messages.push({ status, body })
    return { eof: false }
  }
  // Chunked, with extensions and trailers.
  parts.push(latin1(`${statusLine(r, status)}${headers(r)}Transfer-Encoding: chunked\r\n${headers(r)}\r\n`))
  const chunks: Buffer[] = []
  for (let i = int(r, 5); i > 0; i--) {
    const chunk = bytes(r, r() < 0.03 ? 4096 + int(r, 8192) : 1 + int(r, 40))
    chunks.push(chunk)
    parts.push(latin1(`${hex(r, chunk.length)}${extension(r)}\r\n`), chunk, latin1('\r\n'))
  }
  let trailers = ''
  const fields: string[] = []
  for (let i = r() < 0.6 ? 0 : 1 + int(r, 2); i > 0; i--) {
    const name = pick(r, ['X-Trailer', 'Checksum', 'Server-Timing'])
    const v = value(r)
    trailers += `${name}: ${v}\r\n`
    fields.push(name, v.replace(/[ \t]+$/, ''))
  }
  parts.push(latin1(`0${extension(r)}\r\n${trailers}\r\n`))
  messages.push(fields.length === 0 ? { status, body: Buffer.concat(chunks) } : { status, body: Buffer.concat(chunks), trailers: fields })
  return { eof: false }
}

const KINDS = ['content-length/chunked', '1xx then final', 'pipeline of two', 'HEAD-like, then another']

function validResponse(r: Random): Valid {
  const parts: Buffer[] = []
  const messages: Expected[] = []
  const skip = new Set<number>()
  const k = int(r, KINDS.length)
  let eof = false
  if (k === 1) {
    for (let i = 1 + int(r, 2); i > 0; i--) {
      const s = pick(r, [100, 102, 103])
      parts.push(latin1(`${statusLine(r, s)}${s === 103 ? 'Link: </style.css>; rel=preload\r\n' : ''}\r\n`))
      messages.push({ status: s, body: EMPTY })
    }
    eof = finalResponse(r, parts, messages, skip, true).eof
  } else if (k === 2 || k === 3) {
    if (k === 3) {
      skip.add(0)
      parts.push(latin1(`${statusLine(r, 200)}${headers(r)}Content-Length: ${1 + int(r, 99999)}\r\n\r\n`))
      messages.push({ status: 200, body: EMPTY })
    } else finalResponse(r, parts, messages, skip, false)
    eof = finalResponse(r, parts, messages, skip, true).eof
  } else {
    eof = finalResponse(r, parts, messages, skip, true).eof
  }
  return { kind: KINDS[k]!, bytes: Buffer.concat(parts), messages, skip, eof }
}

// ---- mutations ----

const INSERTS = [[13], [10], [0], [13, 10], [13, 10, 13, 10], [0x80], [0xff], [0xe9], [32], [9], [0x3a], [0x3b], [0x7f], [1]]
const HUGE_LENGTHS = ['18446744073709551615', '18446744073709551616', '9007199254740993', '4294967296', '99999999999999999999', '4294967295']
const HUGE_CHUNKS = ['ffffffffffffffff', '10000000000000000', '7fffffffffffffff', '100000000', 'FFFFFFFF']

function mutate(r: Random, input: Buffer): { bytes: Buffer; how: string[] } {
  let b = input
  const how: string[] = []
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const at = int(r, b.length + 1)
    const c = int(r, 8)
    if (c === 0 && b.length > 0) {
      const i = Math.min(at, b.length - 1)
      const out = Buffer.from(b)
      out[i] = r() < 0.5 ? out[i]! ^ (1 << int(r, 8)) : int(r, 256)
      b = out
      how.push(`flip@${i}`)
    } else if (c === 1 || c === 2) {
      const ins = Buffer.from(pick(r, INSERTS))
      b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)])
      how.push(`insert ${ins.toString('hex')}@${at}`)
    } else if (c === 3) {
      const len = 1 + int(r, 8)
      b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)])
      how.push(`delete ${len}@${at}`)
    } else if (c === 4) {
      b = b.subarray(0, at)
      how.push(`truncate@${at}`)
    } else if (c === 5) {
      const from = int(r, b.length + 1)
      const len = r() < 0.2 ? b.length : 1 + int(r, 40)
      const piece = b.subarray(from, from + len)
      b = Buffer.concat([b.subarray(0, at), piece, b.subarray(at)])
      how.push(`duplicate ${piece.length}@${from}→${at}`)
    } else if (c === 6) {
      const s = b.toString('latin1')
      const huge = pick(r, HUGE_LENGTHS)
      const replaced = s.replace(/(Content-Length: )\d+/i, `$1${huge}`)
      if (replaced !== s) {
        b = latin1(replaced)
        how.push(`content-length ${huge}`)
      } else {
        const chunk = pick(r, HUGE_CHUNKS)
        const head = s.indexOf('\r\n\r\n')
        const m = head < 0 ? null : /\r\n([0-9a-fA-F]+)/.exec(s.slice(head + 2))
        if (m !== null) {
          const start = head + 2 + m.index + 2
          b = latin1(s.slice(0, start) + chunk + s.slice(start + m[1]!.length))
          how.push(`chunk-size ${chunk}`)
        }
      }
    } else {
      // A repeated byte run (a long line, a long chunk extension).
      const ins = Buffer.alloc(1 + int(r, r() < 0.1 ? 20000 : 300), pick(r, [0x61, 0x3b, 0x20, 0x30, 0x09]))
      b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)])
      how.push(`run ${ins.length}x${ins[0]!.toString(16)}@${at}`)
    }
  }
  return { bytes: b, how }
}

/** Cut points for `length` bytes: 1–6 random points, or every byte. */
function cuts(r: Random, length: number): number[] {
  if (length < 2) return []
  if (r() < 0.015 && length < 600) return Array.from({ length: length - 1 }, (_, i) => i + 1)
  const points = new Set<number>()
  for (let i = 1 + int(r, 6); i > 0; i--) points.add(1 + int(r, length - 1))
  return [...points].sort((a, b) => a - b)
}

const copy = Uint8Array.prototype.slice as (this: Uint8Array, start: number, end: number) => Uint8Array

/** `bytes` cut at `points`, each piece in its own buffer (as separate socket reads). */
function piecesOf(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const out: Uint8Array[] = []
  let from = 0
  for (const at of [...points, bytes.length]) {
    out.push(copy.call(bytes, from, at))
    from = at
  }
  return out
}

// ---- driving a parser ----

const FNV_OFFSET = 0x811c9dc5

interface RunOptions {
  skip: Set<number>
  eof: boolean
  pause: Random | null
  expectUpgrade: boolean | null
  tuning: 0 | 1 | 2
}

/** A violated property, reported with the input that broke it. */
class Violation extends Error {}

const TUNINGS = [defaults, { splitMin: 0, skipBodies: true }, { splitMin: defaults.splitMin, skipBodies: false }]

/**
 * A reusable parser with its handlers assigned once; run() resets it and returns what it reported
 * as a string (heads, body length and hash per message, completions, then the error or the EOF).
 */
class Harness {
  readonly parser: ResponseParser
  #events = ''
  #open = false
  #heads = 0
  #hash = FNV_OFFSET
  #bodyLength = 0
  #totalBody = 0
  /** The chunk being executed, and where in it the last body view ended. */
  #chunk: Uint8Array = EMPTY
  #viewEnd = 0
  #paused = false
  #options: RunOptions = { skip: new Set(), eof: false, pause: null, expectUpgrade: null, tuning: 0 }

  constructor(maxHeaderSize: number | undefined) {
    this.parser = new ResponseParser(maxHeaderSize === undefined ? undefined : { maxHeaderSize })
    this.parser.onHeaders = (p) => {
      if (this.#open) throw new Violation('a second head before the previous message completed')
      this.#open = true
      this.#events += `H${p.statusCode}.`
      return this.#options.skip.has(this.#heads++) ? SKIP_BODY : 0
    }
    this.parser.onBody = (view) => {
      const chunk = this.#chunk
      const start = view.byteOffset - chunk.byteOffset
      if (view.buffer !== chunk.buffer || start < this.#viewEnd || start + view.length > chunk.length) {
        throw new Violation(`body view [${start}, ${start + view.length}) not after ${this.#viewEnd} inside the executed chunk of ${chunk.length}`)
      }
      if (!this.#open) throw new Violation('body outside a message')
      this.#viewEnd = start + view.length
      let h = this.#hash
      for (let i = 0; i < view.length; i++) h = Math.imul(h ^ view[i]!, 0x01000193)
      this.#hash = h
      this.#bodyLength += view.length
      this.#totalBody += view.length
      return this.#maybePause()
    }
    this.parser.onComplete = () => {
      if (!this.#open) throw new Violation('onComplete twice for one message (or without a head)')
      this.#open = false
      this.#events += `B${this.#bodyLength}:${(this.#hash >>> 0).toString(16)}C.`
      // Trailer fields, recorded the same however the bytes were split.
      if (this.parser.trailerCount !== 0) this.#events += `T${JSON.stringify(this.parser.trailersFlat())}.`
      this.#hash = FNV_OFFSET
      this.#bodyLength = 0
      return this.#maybePause()
    }
  }

  #maybePause(): number {
    const pause = this.#options.pause
    if (pause === null || pause() < 0.5) return 0
    this.#paused = true
    return PAUSE
  }

  run(pieces: Uint8Array[], options: RunOptions): string {
    const parser = this.parser
    parser.reset()
    parser.expectUpgrade = options.expectUpgrade
    this.#options = options
    this.#events = ''
    this.#open = false
    this.#heads = 0
    this.#hash = FNV_OFFSET
    this.#bodyLength = 0
    this.#totalBody = 0
    this.#paused = false
    tuneInput(TUNINGS[options.tuning]!)
    let inputLength = 0
    let end: string
    try {
      end = this.#feed(pieces)
    } catch (error) {
      if (error instanceof Violation) throw error
      if (!(error instanceof HttpParserError) && !(error instanceof ResponseTooLargeError)) {
        throw new Violation(`threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack ?? String(error)}`)
      }
      if (error instanceof HttpParserError && (error.llhttpCode === 'HPE_USER' || error.code !== 'SONIC_PARSE_ERROR')) {
        throw new Violation(`HttpParserError with code ${error.code}/${error.llhttpCode}: ${error.message}`)
      }
      // A failed parser stays failed until reset().
      let again: unknown = null
      try {
        parser.execute(Uint8Array.of(72))
      } catch (e) {
        again = e
      }
      if (again !== error) throw new Violation(`execute() after a failure threw ${String(again)}, not the failure`)
      if (parser.finish() !== false) throw new Violation('finish() after a failure did not return false')
      end = `E:${error instanceof HttpParserError ? error.llhttpCode : 'too-large'}`
    } finally {
      this.#chunk = EMPTY
      tuneInput(defaults)
    }
    for (const piece of pieces) inputLength += piece.length
    if (this.#totalBody > inputLength) throw new Violation(`delivered ${this.#totalBody} body bytes from ${inputLength} input bytes`)
    return `${this.#events}|${end}`
  }

  #feed(pieces: Uint8Array[]): string {
    const parser = this.parser
    for (const piece of pieces) {
      let offset = 0
      while (offset < piece.length) {
        const chunk = offset === 0 ? piece : piece.subarray(offset)
        this.#chunk = chunk
        this.#viewEnd = 0
        const consumed = parser.execute(chunk)
        this.#chunk = EMPTY
        if (!Number.isInteger(consumed) || consumed < 0 || consumed > chunk.length) throw new Violation(`execute() returned ${consumed} for ${chunk.length} bytes`)
        offset += consumed
        if (this.#paused) {
          while (this.#paused) {
            this.#paused = false
            parser.resume()
          }
          continue
        }
        if (consumed < chunk.length) {
          // Only a protocol switch stops the parser short without a pause.
          if (!parser.upgrade) throw new Violation(`execute() consumed ${consumed} of ${chunk.length} without a pause or an upgrade`)
          return 'upgrade'
        }
      }
    }
    if (!this.#options.eof) return 'open'
    return `eof:${String(parser.finish())}`
  }
}

/** What `valid` must give, in Harness.run()'s notation. */
function expectedOf(valid: Valid): string {
  let events = ''
  for (const m of valid.messages) {
    let h = FNV_OFFSET
    for (let i = 0; i < m.body.length; i++) h = Math.imul(h ^ m.body[i]!, 0x01000193)
    events += `H${m.status}.B${m.body.length}:${(h >>> 0).toString(16)}C.`
    if (m.trailers !== undefined) events += `T${JSON.stringify(m.trailers)}.`
  }
  return `${events}|${valid.eof ? 'eof:true' : 'open'}`
}

/** The seed of input `index`: its own PRNG stream, so an index can be regenerated alone. */
function inputSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)
  h ^= h >>> 16
  return Math.imul(h, 0x27d4eb2f) >>> 0
}

/** The failing input, printed as hex (and written whole to a file when it is long). */
function describeInput(index: number, label: string, bytes: Uint8Array, points: number[], extra: object): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  let hexText = buf.toString('hex')
  if (hexText.length > 4000) {
    const file = join(tmpdir(), `sonic-fuzz-${SEED}-${index}.bin`)
    writeFileSync(file, buf)
    hexText = `${hexText.slice(0, 4000)}… (whole input in ${file})`
  }
  const shown = points.length > 64 ? `${points.length} points: [${points.slice(0, 64).join(', ')}, …]` : `[${points.join(', ')}]`
  return (
    `parser fuzz: SONIC_FUZZ_SEED=${SEED} input #${index} (${label})\n` +
    `split at: ${points.length === bytes.length - 1 && bytes.length > 2 ? 'every byte' : shown}\n` +
    `options: ${JSON.stringify(extra, (_k, v: unknown) => (v instanceof Set ? [...v] : v))}\n` +
    `input (${bytes.length} bytes, hex): ${hexText}`
  )
}

interface Stats {
  valid: number
  mutatedFeeds: number
  freshParsers: number
  /** How the mutated inputs ended (an llhttp code, too-large, open, eof, upgrade) → count. */
  outcomes: Map<string, number>
}

const LIMITS = [65536, 160, 1000]

/**
 * Input `index`: a valid response and a mutation of it. The mutation is fed whole, then split
 * (another input tuning, maybe pausing) on a reused parser: the same outcome. Then the valid
 * response, split, on the default-limit parser just reset after it: exactly its bodies.
 */
function fuzzOne(index: number, harnesses: Harness[], stats: Stats): void {
  const r = prng(inputSeed(SEED, index))
  const valid = validResponse(r)
  const { bytes: mutated, how } = mutate(r, valid.bytes)
  const which = int(r, harnesses.length)
  const harness = harnesses[which]!
  const options: RunOptions = { skip: valid.skip, eof: valid.eof || r() < 0.5, pause: null, expectUpgrade: r() < 0.1 ? false : null, tuning: 0 }
  const points = cuts(r, mutated.length)
  const splitTuning = int(r, 3) as 0 | 1 | 2
  const pauseSeed = r() < 0.1 ? int(r, 2 ** 31) : -1
  // What a failure report shows: the input and the feed being checked.
  let label = `mutated ${valid.kind}: ${how.join(', ')}`
  let shown = { bytes: mutated as Uint8Array, points: [] as number[], options: { ...options, maxHeaderSize: LIMITS[which] } as object }
  try {
    const whole = harness.run([mutated], options)
    shown = { ...shown, points, options: { ...shown.options, tuning: splitTuning, pause: pauseSeed >= 0 } }
    const split = harness.run(piecesOf(mutated, points), { ...options, tuning: splitTuning, pause: pauseSeed >= 0 ? prng(pauseSeed) : null })
    if (split !== whole) throw new Violation(`outcome depends on the split:\n  whole: ${whole}\n  split: ${split}`)
    stats.mutatedFeeds += 2
    const outcome = whole.slice(whole.lastIndexOf('|') + 1)
    stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1)
    // The small limits may refuse a valid head: the default-limit parser only.
    label = `valid ${valid.kind}`
    const validPoints = cuts(r, valid.bytes.length)
    const validOptions: RunOptions = { skip: valid.skip, eof: valid.eof, pause: r() < 0.1 ? prng(index) : null, expectUpgrade: null, tuning: int(r, 3) as 0 | 1 | 2 }
    shown = { bytes: valid.bytes, points: validPoints, options: { ...validOptions, pause: validOptions.pause !== null, maxHeaderSize: LIMITS[0] } }
    const expected = expectedOf(valid)
    const got = harnesses[0]!.run(piecesOf(valid.bytes, validPoints), validOptions)
    if (got !== expected) throw new Violation(`wrong result for a valid response:\n  expected: ${expected}\n  got:      ${got}`)
    stats.valid++
    if (index % 64 === 0) {
      // A fresh parser, destroyed after: parser states are recycled, memory stays flat.
      const fresh = new Harness(undefined)
      shown = { ...shown, points: [] }
      const once = fresh.run([valid.bytes], { ...validOptions, pause: null, tuning: 0 })
      fresh.parser.destroy()
      if (once !== expected) throw new Violation(`wrong result on a fresh parser:\n  expected: ${expected}\n  got:      ${once}`)
      stats.freshParsers++
    }
  } catch (error) {
    const why = error instanceof Violation ? error.message : `the harness itself threw: ${(error as Error)?.stack ?? String(error)}`
    const stacks = STACKS ? '' : '\n(stack traces are off while fuzzing: SONIC_FUZZ_STACKS=1 keeps them)'
    throw new Error(`${why}\n${describeInput(index, label, shown.bytes, shown.points, shown.options)}${stacks}`)
  }
}

describe('parser fuzz', () => {
  afterAll(() => {
    tuneInput(defaults)
  })

  it(`${N} mutated responses, fed whole and split: typed errors only, the same outcome however split`, async () => {
    console.log(`parser fuzz: SONIC_FUZZ_SEED=${SEED} SONIC_FUZZ_N=${N}`)
    // Parsers reused for every input (reset() in between), at three head limits.
    const harnesses = LIMITS.map((limit) => new Harness(limit))
    const memory = getRuntime(() => {
      throw new Error('the runtime exists once a parser does')
    }, undefined as never).exports.memory
    let memoryAtWarmup = 0
    const stats: Stats = { valid: 0, mutatedFeeds: 0, freshParsers: 0, outcomes: new Map() }
    const started = performance.now()
    const stackTraceLimit = Error.stackTraceLimit
    if (!STACKS) Error.stackTraceLimit = 0
    try {
      for (let index = 0; index < N; index++) {
        if (index === 2000) memoryAtWarmup = memory.buffer.byteLength
        fuzzOne(index, harnesses, stats)
        // Let the test worker answer vitest between batches (a minute-long synchronous loop on a
        // loaded machine times its RPC out).
        if (index % 2000 === 1999) await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit
      for (const h of harnesses) h.parser.destroy()
    }
    const seconds = (performance.now() - started) / 1000
    const outcomes = [...stats.outcomes].sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${outcome} ${n}`)
    console.log(
      `parser fuzz: ${N} mutated inputs (${stats.mutatedFeeds} feeds), ${stats.valid} valid, ` +
        `${stats.freshParsers} fresh parsers in ${seconds.toFixed(1)} s; outcomes: ${outcomes.join(', ')}; ` +
        `WASM memory ${memoryAtWarmup} → ${memory.buffer.byteLength} bytes`,
    )
    expect(stats.valid).toBe(N)
    // The only growth allowed: the input buffer growing to the largest chunk (inputs stay under 64 KiB).
    if (N > 2000) expect(memory.buffer.byteLength - memoryAtWarmup).toBeLessThanOrEqual(1024 * 1024)
  }, 120_000)
})
