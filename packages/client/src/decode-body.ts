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

/**
 * Past this many decoded bytes a whole-body decode under a ratio limit goes on as a stream over
 * the encoded bytes, so the ratio is checked as it goes: a bomb stops a little past 1 MiB instead
 * of after ratio × its whole encoded size.
 */
export const ONE_SHOT_MAX = 8 * 1024 * 1024
/** Slices fed to the streaming fallback (the ratio is checked against the bytes fed so far). */
const SLICE = 64 * 1024
/** The one-shot decode went past ONE_SHOT_MAX (not an error: the streaming decode takes over). */
const OVER: unique symbol = Symbol('over')

/** Decodes a whole body. A corrupt body is an HttpParserError (HPE_BAD_CONTENT_ENCODING) with the zlib error as cause. */
export async function decodeAll(data: Uint8Array, codings: string[], limits: BodyLimits): Promise<Uint8Array> {
  const cap = decodedCap(data.length, limits)
  if (limits.maxDecompressionRatio === null || cap <= ONE_SHOT_MAX) return decodeWhole(data, codings, limits, cap, cap)
  try {
    return await decodeWhole(data, codings, limits, cap, ONE_SHOT_MAX)
  } catch (err) {
    if (err !== OVER) throw err
  }
  const chunks: Uint8Array[] = []
  for await (const chunk of decodeStream(slices(data), codings, limits)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function* slices(data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += SLICE) yield data.subarray(off, off + SLICE)
}

/** One-shot decode of every coding, each output bounded by `max` (≤ cap; past it → OVER when max < cap). */
async function decodeWhole(data: Uint8Array, codings: string[], limits: BodyLimits, cap: number, max: number): Promise<Uint8Array> {
  let out = data
  // zlib stops at maxOutputLength, so a bomb never takes more than the bound in memory.
  const bound = max === Infinity ? undefined : Math.min(Math.floor(max) + 1, bufferMax)
  const lenient = bound === undefined ? LENIENT : { ...LENIENT, maxOutputLength: bound }
  const strict = bound === undefined ? {} : { maxOutputLength: bound }
  for (const c of codings) {
    if (out.length === 0) return out
    try {
      if (c === 'gzip' || c === 'x-gzip') out = await gunzip(out, lenient)
      else if (c === 'deflate') out = isZlibWrapped(out) ? await inflate(out, lenient) : await inflateRaw(out, lenient)
      else if (c === 'br') out = await brotli(out, strict)
      else if (c === 'zstd' && zstd !== null) out = await zstd(out, strict)
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        if (max < cap) throw OVER
        throw tooLarge(limits, cap + 1, data.length)
      }
      throw decodeError(c, err)
    }
    if (out.length > cap) throw tooLarge(limits, out.length, data.length)
    if (out.length > max) throw OVER
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
  const counted: Counted = { encoded: 0, first: null }
  let stream: AsyncIterable<Uint8Array> = countBytes(source, counted)
  for (let i = 0; i < codings.length; i++) stream = decodeOne(stream, codings[i]!, onCorrupt, i === 0 ? counted : null)
  if (limits.maxResponseSize === null && limits.maxDecompressionRatio === null) {
    yield* stream
    return
  }
  let decoded = 0
  for await (const chunk of stream) {
    decoded += chunk.length
    // The bytes the first decoder has taken in, exactly (the pipe reads ahead of it by up to
    // 16 KiB: counted that way a bomb of ratio 1010 would pass a limit of 1000 until its end).
    const encoded = counted.first?.bytesWritten ?? counted.encoded
    if (decoded > decodedCap(encoded, limits)) throw tooLarge(limits, decoded, encoded)
    yield chunk
  }
}

/** Encoded bytes read, and the decoder of the outermost coding (its bytesWritten: bytes it has decoded). */
interface Counted {
  encoded: number
  first: { readonly bytesWritten?: number } | null
}

async function* countBytes(source: AsyncIterable<Uint8Array>, counted: Counted): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counted.encoded += chunk.length
    yield chunk
  }
}

async function* decodeOne(source: AsyncIterable<Uint8Array>, coding: string, onCorrupt: (() => void) | undefined, counted: Counted | null): AsyncGenerator<Uint8Array> {
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
    if (counted !== null) counted.first = decoder as { bytesWritten?: number }
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
