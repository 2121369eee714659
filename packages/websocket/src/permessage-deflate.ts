// permessage-deflate (RFC 7692): what we offer, what we accept of the server's answer, and the
// per-message codec on node:zlib (raw deflate streams, kept between messages unless a side
// asked for no context takeover).
import * as zlib from 'node:zlib'
import { InvalidArgumentError } from '@sonic/core'
import { ProtocolViolation } from './frame-reader.js'

/** permessage-deflate settings (RFC 7692 §7.1). */
export interface PerMessageDeflateOptions {
  /**
   * Ask the server to reset its compression context after each message (less memory on both
   * sides, worse ratio).
   * @default false
   */
  serverNoContextTakeover?: boolean
  /**
   * Reset our own compression context after each message (and tell the server).
   * @default false
   */
  clientNoContextTakeover?: boolean
  /**
   * Largest LZ77 window (8-15) the server may use; unset lets the server choose.
   * @default undefined
   */
  serverMaxWindowBits?: number
  /**
   * Our window size: `true` lets the server pick one (offered without a value), a number (8-15)
   * caps it, `false` does not offer the parameter.
   * @default true
   */
  clientMaxWindowBits?: boolean | number
  /**
   * Messages smaller than this many bytes are sent uncompressed.
   * @default 1024
   */
  threshold?: number
}

/** The offer, checked. */
export interface DeflateOffer {
  readonly serverNoContextTakeover: boolean
  readonly clientNoContextTakeover: boolean
  readonly serverMaxWindowBits: number | null
  readonly clientMaxWindowBits: boolean | number
  readonly threshold: number
  /** The Sec-WebSocket-Extensions value. */
  readonly header: string
}

/** What both sides agreed. */
export interface DeflateParams {
  /** We reset our deflate context after each message. */
  readonly clientNoContextTakeover: boolean
  /** The server resets its context: we may reset our inflate context after each message too. */
  readonly serverNoContextTakeover: boolean
  readonly clientWindowBits: number
  readonly threshold: number
}

function windowBits(v: unknown, name: string): number {
  if (!Number.isInteger(v) || (v as number) < 8 || (v as number) > 15) throw new InvalidArgumentError(`${name} must be an integer from 8 to 15`)
  return v as number
}

/** `compress` as an offer, or null when not compressing. */
export function deflateOffer(compress: boolean | PerMessageDeflateOptions | undefined): DeflateOffer | null {
  if (compress === false) return null
  const o = compress === true || compress === undefined ? {} : compress
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('compress must be a boolean or permessage-deflate options')
  const serverMaxWindowBits = o.serverMaxWindowBits === undefined ? null : windowBits(o.serverMaxWindowBits, 'serverMaxWindowBits')
  const cmwb = o.clientMaxWindowBits ?? true
  const clientMaxWindowBits = typeof cmwb === 'boolean' ? cmwb : windowBits(cmwb, 'clientMaxWindowBits')
  const threshold = o.threshold ?? 1024
  if (!Number.isSafeInteger(threshold) || threshold < 0) throw new InvalidArgumentError('threshold must be a non-negative integer')
  let header = 'permessage-deflate'
  if (o.serverNoContextTakeover === true) header += '; server_no_context_takeover'
  if (o.clientNoContextTakeover === true) header += '; client_no_context_takeover'
  if (serverMaxWindowBits !== null) header += `; server_max_window_bits=${serverMaxWindowBits}`
  if (clientMaxWindowBits === true) header += '; client_max_window_bits'
  else if (clientMaxWindowBits !== false) header += `; client_max_window_bits=${clientMaxWindowBits}`
  return Object.freeze({
    serverNoContextTakeover: o.serverNoContextTakeover === true,
    clientNoContextTakeover: o.clientNoContextTakeover === true,
    serverMaxWindowBits,
    clientMaxWindowBits,
    threshold,
    header,
  })
}

/** One extension of a Sec-WebSocket-Extensions value: its name and parameters (value null when bare). */
interface Extension {
  name: string
  params: Map<string, string | null>
}

/** Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1); throws a message on bad syntax. */
export function parseExtensions(value: string): Extension[] {
  const out: Extension[] = []
  for (const part of value.split(',')) {
    const items = part.split(';').map((s) => s.trim())
    const name = items[0]!.toLowerCase()
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) throw new Error(`malformed extension ${JSON.stringify(part.trim())}`)
    const params = new Map<string, string | null>()
    for (const item of items.slice(1)) {
      const eq = item.indexOf('=')
      const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase()
      let v: string | null = eq < 0 ? null : item.slice(eq + 1).trim()
      if (v !== null && v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
      if (key === '' || params.has(key)) throw new Error(`duplicate or empty parameter in ${JSON.stringify(part.trim())}`)
      params.set(key, v)
    }
    out.push({ name, params })
  }
  return out
}

/**
 * What the server's Sec-WebSocket-Extensions (null when absent) agrees, given our `offer`;
 * throws a message when it names anything we did not offer or breaks RFC 7692 §7.
 */
export function acceptExtensions(value: string | null, offer: DeflateOffer | null): DeflateParams | null {
  if (value === null || value.trim() === '') return null
  const exts = parseExtensions(value)
  if (offer === null) throw new Error(`the server answered with extensions we did not offer: ${value}`)
  if (exts.length !== 1 || exts[0]!.name !== 'permessage-deflate') throw new Error(`the server answered with extensions we did not offer: ${value}`)
  let clientNoContextTakeover = offer.clientNoContextTakeover
  let serverNoContextTakeover = false
  let clientWindowBits = typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15
  for (const [key, v] of exts[0]!.params) {
    switch (key) {
      case 'server_no_context_takeover':
        if (v !== null) throw new Error('server_no_context_takeover takes no value')
        serverNoContextTakeover = true
        break
      case 'client_no_context_takeover':
        if (v !== null) throw new Error('client_no_context_takeover takes no value')
        clientNoContextTakeover = true
        break
      case 'server_max_window_bits': {
        const n = bitsOf(v, key)
        if (offer.serverMaxWindowBits !== null && n > offer.serverMaxWindowBits) throw new Error(`server_max_window_bits=${n} is over the ${offer.serverMaxWindowBits} we offered`)
        break
      }
      case 'client_max_window_bits': {
        if (offer.clientMaxWindowBits === false) throw new Error('client_max_window_bits was not offered')
        const n = bitsOf(v, key)
        if (typeof offer.clientMaxWindowBits === 'number' && n > offer.clientMaxWindowBits) throw new Error(`client_max_window_bits=${n} is over the ${offer.clientMaxWindowBits} we offered`)
        clientWindowBits = n
        break
      }
      default:
        throw new Error(`unknown permessage-deflate parameter ${key}`)
    }
  }
  // A server that accepts server_no_context_takeover must say so (RFC 7692 §7.1.1.1).
  if (offer.serverNoContextTakeover && !serverNoContextTakeover) throw new Error('the server ignored server_no_context_takeover')
  return Object.freeze({ clientNoContextTakeover, serverNoContextTakeover, clientWindowBits, threshold: offer.threshold })
}

function bitsOf(v: string | null, key: string): number {
  if (v === null || !/^(8|9|1[0-5])$/.test(v)) throw new Error(`${key} needs a value from 8 to 15`)
  return Number(v)
}

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff])

/** The compressing and decompressing streams of one connection. */
export class DeflateCodec {
  readonly #params: DeflateParams
  #deflate: zlib.DeflateRaw | null = null
  #inflate: zlib.InflateRaw | null = null

  constructor(params: DeflateParams) {
    this.#params = params
  }

  get threshold(): number {
    return this.#params.threshold
  }

  /** One message's payload, compressed, without the final 00 00 ff ff (RFC 7692 §7.2.1). */
  compress(data: Uint8Array | string): Promise<Buffer> {
    // zlib refuses a window of 8 for raw deflate; 9 is the smallest it makes.
    const d = (this.#deflate ??= zlib.createDeflateRaw({ windowBits: Math.max(9, this.#params.clientWindowBits) }))
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      const onData = (c: Buffer): void => {
        chunks.push(c)
        size += c.length
      }
      const onError = (err: Error): void => {
        d.off('data', onData)
        reject(err)
      }
      d.on('data', onData)
      d.once('error', onError)
      d.write(data)
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        d.off('data', onData)
        d.off('error', onError)
        let out = Buffer.concat(chunks, size)
        if (out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 && out[out.length - 2] === 0xff && out[out.length - 1] === 0xff) {
          out = out.subarray(0, out.length - 4)
        }
        if (this.#params.clientNoContextTakeover) d.reset()
        resolve(out)
      })
    })
  }

  /**
   * One message's payload, decompressed; rejects with a ProtocolViolation: 1009 once more than
   * `limit` bytes (0: no limit) come out, 1007 for data that does not inflate.
   */
  decompress(parts: readonly Buffer[], limit: number): Promise<Buffer> {
    // A window of 15 inflates what any smaller window made.
    const inf = (this.#inflate ??= zlib.createInflateRaw({ windowBits: 15 }))
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      let failed = false
      const done = (): void => {
        inf.off('data', onData)
        inf.off('error', onError)
      }
      const fail = (v: ProtocolViolation): void => {
        if (failed) return
        failed = true
        done()
        // The stream is useless now; the connection is failing anyway.
        inf.close()
        this.#inflate = null
        reject(v)
      }
      const onData = (c: Buffer): void => {
        size += c.length
        if (limit > 0 && size > limit) fail(new ProtocolViolation(1009, `A message inflated to more than maxMsgSize (${limit} bytes)`))
        else chunks.push(c)
      }
      const onError = (err: Error): void => fail(new ProtocolViolation(1007, `Invalid compressed data: ${err.message}`))
      inf.on('data', onData)
      inf.once('error', onError)
      for (const p of parts) inf.write(p)
      inf.write(TRAILER)
      inf.flush(() => {
        if (failed) return
        done()
        if (this.#params.serverNoContextTakeover) inf.reset()
        resolve(Buffer.concat(chunks, size))
      })
    })
  }

  /** Frees both streams. */
  close(): void {
    this.#deflate?.close()
    this.#inflate?.close()
    this.#deflate = null
    this.#inflate = null
  }
}
