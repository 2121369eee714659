// Content-Encoding decoding with node:zlib: one-shot for bytes()/text()/json(), streaming for
// readChunks()/body. gzip, deflate (zlib-wrapped or raw), br, and zstd where node has it.
import { Readable, pipeline, type Transform } from 'node:stream'
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import { HttpParserError, ResponseTooLargeError, SonicError } from '@sonic/core'
import type { BodyLimits } from './normalize-request.js'

type ZlibWithZstd = typeof zlib & {
  createZstdDecompress?: () => Transform
  zstdDecompress?: (buf: Uint8Array, opts: object, cb: (err: Error | null, out: Buffer) => void) => void
}
const z = zlib as ZlibWithZstd

/** Encodings this node can decode, in Accept-Encoding form. */
export const ACCEPT_ENCODING = typeof z.createZstdDecompress === 'function' ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br'

/** The codings to undo, outermost first; null when there is nothing (known) to decode. */
export function parseContentEncoding(header: string | null): string[] | null {
  if (header === null) return null
  const list = header
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'identity')
  if (list.length === 0) return null
  for (const c of list) if (!isKnown(c)) return null
  return list.reverse()
}

function isKnown(coding: string): boolean {
  return coding === 'gzip' || coding === 'x-gzip' || coding === 'deflate' || coding === 'br' || (coding === 'zstd' && typeof z.createZstdDecompress === 'function')
}

/** zlib-wrapped deflate starts with a CMF/FLG pair whose 16-bit value is a multiple of 31. */
function isZlibWrapped(first: Uint8Array): boolean {
  return first.length >= 2 && (first[0]! & 0x0f) === 8 && ((first[0]! << 8) | first[1]!) % 31 === 0
}

const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)
const inflateRaw = promisify(zlib.inflateRaw)
const brotli = promisify(zlib.brotliDecompress)
const zstd = typeof z.zstdDecompress === 'function' ? promisify(z.zstdDecompress) : null

const LENIENT = { finishFlush: zlib.constants.Z_SYNC_FLUSH }

/** The decompression ratio is checked only once more than this much has been decoded. */
export const RATIO_FLOOR = 1024 * 1024

/** Most decoded bytes allowed for `encoded` bytes under `limits` (Infinity: none). */
function decodedCap(encoded: number, limits: BodyLimits): number {
  const size = limits.maxResponseSize ?? Infinity
  const ratio = limits.maxDecompressionRatio
  return ratio === null ? size : Math.min(size, Math.max(RATIO_FLOOR, encoded * ratio))
}

function tooLarge(limits: BodyLimits, decoded: number, encoded: number): ResponseTooLargeError {
  const size = limits.maxResponseSize
  if (size !== null && decoded > size) return new ResponseTooLargeError(size, { part: 'body' })
  const err = new ResponseTooLargeError(Math.floor(encoded * limits.maxDecompressionRatio!), { part: 'body' })
  Object.defineProperty(err, 'message', {
    value: `Response body decompresses more than ${limits.maxDecompressionRatio}× (maxDecompressionRatio): ${encoded} encoded bytes gave over ${decoded}`,
  })
  return err
}

/** Decodes a whole body. A corrupt body is an HttpParserError (HPE_BAD_CONTENT_ENCODING) with the zlib error as cause. */
export async function decodeAll(data: Uint8Array, codings: string[], limits: BodyLimits): Promise<Uint8Array> {
  let out = data
  const cap = decodedCap(data.length, limits)
  // zlib stops at maxOutputLength, so a bomb never takes more than the cap in memory.
  const max = cap === Infinity ? undefined : Math.min(Math.floor(cap) + 1, bufferMax)
  const lenient = max === undefined ? LENIENT : { ...LENIENT, maxOutputLength: max }
  const strict = max === undefined ? {} : { maxOutputLength: max }
  for (const c of codings) {
    if (out.length === 0) return out
    try {
      if (c === 'gzip' || c === 'x-gzip') out = await gunzip(out, lenient)
      else if (c === 'deflate') out = isZlibWrapped(out) ? await inflate(out, lenient) : await inflateRaw(out, lenient)
      else if (c === 'br') out = await brotli(out, strict)
      else if (c === 'zstd' && zstd !== null) out = await zstd(out, strict)
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limits, cap + 1, data.length)
      throw decodeError(c, err)
    }
    if (out.length > cap) throw tooLarge(limits, out.length, data.length)
  }
  return out
}

const bufferMax = 2 ** 31 - 1

/** The typed error for a body that does not decode as its Content-Encoding says. */
export function decodeError(coding: string, err: unknown): unknown {
  if (err instanceof SonicError) return err
  const detail = err instanceof Error ? err.message : String(err)
  return new HttpParserError(`the ${coding} body does not decode: ${detail}`, 'HPE_BAD_CONTENT_ENCODING', { cause: err })
}

function decoderFor(coding: string, first: Uint8Array): Transform {
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip(LENIENT)
  if (coding === 'deflate') return isZlibWrapped(first) ? zlib.createInflate(LENIENT) : zlib.createInflateRaw(LENIENT)
  if (coding === 'br') return zlib.createBrotliDecompress()
  return z.createZstdDecompress!()
}

/**
 * Decodes a body as it streams, with backpressure. Stopping early destroys the decoders and
 * returns the source (so its connection is released); a corrupt body calls `onCorrupt` first,
 * then throws an HttpParserError (HPE_BAD_CONTENT_ENCODING) with the zlib error as cause.
 */
export async function* decodeStream(
  source: AsyncIterable<Uint8Array>,
  codings: string[],
  limits: BodyLimits,
  onCorrupt?: () => void,
): AsyncGenerator<Uint8Array> {
  const counted = { encoded: 0 }
  let stream: AsyncIterable<Uint8Array> = countBytes(source, counted)
  for (const coding of codings) stream = decodeOne(stream, coding, onCorrupt)
  if (limits.maxResponseSize === null && limits.maxDecompressionRatio === null) {
    yield* stream
    return
  }
  let decoded = 0
  for await (const chunk of stream) {
    decoded += chunk.length
    if (decoded > decodedCap(counted.encoded, limits)) throw tooLarge(limits, decoded, counted.encoded)
    yield chunk
  }
}

async function* countBytes(source: AsyncIterable<Uint8Array>, counted: { encoded: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counted.encoded += chunk.length
    yield chunk
  }
}

async function* decodeOne(source: AsyncIterable<Uint8Array>, coding: string, onCorrupt: (() => void) | undefined): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]()
  let decoder: Transform | null = null
  let ended = false
  try {
    let first = await it.next()
    while (!first.done && first.value.length === 0) first = await it.next()
    if (first.done) {
      ended = true
      return
    }
    const head = first.value
    async function* rest(): AsyncGenerator<Uint8Array> {
      yield head
      for (;;) {
        const r = await it.next()
        if (r.done) {
          ended = true
          return
        }
        yield r.value
      }
    }
    decoder = decoderFor(coding, head)
    pipeline(Readable.from(rest(), { objectMode: false }), decoder, () => {})
    try {
      for await (const chunk of decoder) yield chunk as Uint8Array
    } catch (err) {
      const mapped = decodeError(coding, err)
      if (mapped !== err) onCorrupt?.()
      throw mapped
    }
  } finally {
    decoder?.destroy()
    // Stopped early or failed: hand the stop to the source, so the connection under it is
    // released (drained or destroyed) instead of staying checked out.
    if (!ended) await it.return?.(undefined)
  }
}
