// The decompress interceptor: a response with a Content-Encoding it knows (gzip, deflate, br,
// zstd where node has it) gets a body reader that decodes — one-shot through zlib for readAll(),
// streaming with backpressure for read() — within maxResponseSize and maxDecompressionRatio.
// The Content-Encoding header stays as received. A response without one passes untouched.
import type { BodyReader, HttpHeaders, HttpResponseHead, Interceptor } from '@sonic/core'
import { withBody, type ClientRequest } from './client-request.js'
import { decodeAll, decodeStream, parseContentEncoding } from './decode-body.js'
import { DEFAULT_LIMITS, type BodyLimits } from './normalize-request.js'

export interface DecompressOptions {
  /** Bounds for requests that carry none of their own. */
  limits?: BodyLimits
}

/**
 * Decodes compressed response bodies. A request with `decompress: false` is passed through.
 * @example const send = compose(agent.dispatch, decompress())
 */
export function decompress(options: DecompressOptions = {}): Interceptor {
  const base = options.limits ?? DEFAULT_LIMITS
  const decodeBase = (head: HttpResponseHead): HttpResponseHead => decodeHead(head, base)
  return (next) => (req) => {
    const policy = (req as Partial<ClientRequest>).policy
    if (policy?.decompress === false) return next(req)
    const limits = policy?.limits
    return limits === undefined || limits === base ? next(req).then(decodeBase) : next(req).then((head) => decodeHead(head, limits))
  }
}

function decodeHead(head: HttpResponseHead, limits: BodyLimits): HttpResponseHead {
  const codings = parseContentEncoding(head.headers.get('content-encoding'))
  return codings === null ? head : withBody(head, new DecodedBody(head.body, codings, limits))
}

const CORRUPT = new Error('the body did not decode')

/** A body reader that undoes Content-Encoding; it enforces its own limits. */
export class DecodedBody implements BodyReader {
  /** Unknown until decoded. */
  readonly length = null
  readonly #inner: BodyReader
  readonly #codings: string[]
  readonly #limits: BodyLimits
  #it: AsyncGenerator<Uint8Array> | null = null
  #corrupt = false

  constructor(inner: BodyReader, codings: string[], limits: BodyLimits) {
    this.#inner = inner
    this.#codings = codings
    this.#limits = limits
  }

  /** The trailer fields of the encoded body (set once its end is read); null when none. */
  get trailers(): HttpHeaders | null {
    return this.#inner.trailers ?? null
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#it === null) this.#it = decodeStream(this.#chunks(), this.#codings, this.#limits, () => (this.#corrupt = true))
    const r = await this.#it.next()
    return r.done === true ? null : r.value
  }

  async readAll(): Promise<Uint8Array> {
    if (this.#it !== null) {
      const chunks: Uint8Array[] = []
      for (let c = await this.read(); c !== null; c = await this.read()) chunks.push(c)
      return Buffer.concat(chunks)
    }
    return decodeAll(await this.#inner.readAll(), this.#codings, this.#limits)
  }

  async cancel(reason?: unknown): Promise<void> {
    if (this.#it === null) return this.#inner.cancel(reason)
    await this.#it.return(undefined)
  }

  /** The encoded chunks; stopping early cancels the inner reader (with an Error when the body was corrupt, so its connection is not reused). */
  async *#chunks(): AsyncGenerator<Uint8Array> {
    const inner = this.#inner
    let ended = false
    try {
      for (;;) {
        let c: Uint8Array | null
        try {
          c = await inner.read()
        } catch (err) {
          ended = true
          throw err
        }
        if (c === null) {
          ended = true
          return
        }
        yield c
      }
    } finally {
      if (!ended) await inner.cancel(this.#corrupt ? CORRUPT : undefined)
    }
  }
}
