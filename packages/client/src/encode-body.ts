// Turns every accepted `data`/`json` form into core's RequestBody plus the content-type it implies.
import { InvalidArgumentError, readWebStream, type RequestBody, type StreamBody } from '@sonic/core'
import { MultipartForm, urlEncode } from '@sonic/multipart'
import { Readable } from 'node:stream'
import type { RequestData } from './options.js'

/** A normalised body: what to send and the headers it implies. */
export interface EncodedBody {
  body: RequestBody
  /** Content-Type implied by the data form, or null. */
  contentType: string | null
  /** True when the body can be sent again (redirects, retries). */
  replayable: boolean
}

const NONE: EncodedBody = Object.freeze({ body: null, contentType: null, replayable: true })

/** UTF-8 bytes of `text`; Buffer.from takes small strings from node's pool instead of a new ArrayBuffer each. */
const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8')

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** A one-shot StreamBody over an iterable, async iterable or Readable. */
function oneShot(source: Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>): StreamBody {
  let used = false
  return {
    length: null,
    replayable: false,
    stream() {
      if (used) throw new InvalidArgumentError('This request body is a one-shot stream and was already sent')
      used = true
      return source as AsyncIterable<Uint8Array | string>
    },
  }
}

function blobBody(blob: Blob): StreamBody {
  return { length: blob.size, replayable: true, stream: () => readWebStream(blob.stream()) }
}

/**
 * Encodes `data` or `json`. Synchronous for every form but multipart, whose size needs stat().
 */
export function encodeBody(
  data: RequestData | null | undefined,
  json: unknown,
  jsonSerializer: (v: unknown) => string,
  multipart: boolean,
): EncodedBody | Promise<EncodedBody> {
  if (json !== undefined) {
    if (data !== undefined && data !== null) throw new InvalidArgumentError('Pass either data or json, not both')
    let text: unknown
    try {
      text = jsonSerializer(json)
    } catch (err) {
      throw new InvalidArgumentError(`jsonSerializer threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    if (typeof text !== 'string') throw new InvalidArgumentError('jsonSerializer must return a string')
    return { body: utf8(text as string), contentType: 'application/json', replayable: true }
  }
  if (data === undefined || data === null) return NONE
  if (typeof data === 'string') return { body: utf8(data), contentType: 'text/plain; charset=utf-8', replayable: true }
  if (data instanceof Uint8Array) return { body: data, contentType: null, replayable: true }
  if (data instanceof ArrayBuffer) return { body: new Uint8Array(data), contentType: null, replayable: true }
  if (ArrayBuffer.isView(data)) {
    return { body: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), contentType: null, replayable: true }
  }
  if (data instanceof URLSearchParams) {
    return { body: utf8(data.toString()), contentType: 'application/x-www-form-urlencoded', replayable: true }
  }
  if (data instanceof MultipartForm) return formBody(data)
  if (typeof FormData !== 'undefined' && data instanceof FormData) return formBody(MultipartForm.fromFormData(data))
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    return { body: blobBody(data), contentType: data.type || null, replayable: true }
  }
  if (data instanceof Readable) return { body: oneShot(data), contentType: null, replayable: false }
  if (typeof data === 'object') {
    if (Symbol.asyncIterator in data || Symbol.iterator in data) {
      return { body: oneShot(data as AsyncIterable<Uint8Array | string>), contentType: null, replayable: false }
    }
    if (isPlainObject(data)) {
      if (multipart) {
        const form = new MultipartForm()
        for (const [k, v] of Object.entries(data)) {
          if (Array.isArray(v)) for (const item of v) form.addField(k, String(item))
          else form.addField(k, v as never)
        }
        return formBody(form)
      }
      return {
        body: utf8(urlEncode(data as Parameters<typeof urlEncode>[0])),
        contentType: 'application/x-www-form-urlencoded',
        replayable: true,
      }
    }
  }
  throw new InvalidArgumentError(`Unsupported request data of type ${Object.prototype.toString.call(data)}`)
}

async function formBody(form: MultipartForm): Promise<EncodedBody> {
  const body = await form.toBody()
  return { body, contentType: form.getHeaders()['content-type'], replayable: body.replayable }
}
