// fetch's request bodies: every BodyInit (string, bytes, Blob, URLSearchParams, FormData,
// ReadableStream, and the async iterables undici also takes) as core's RequestBody plus the
// Content-Type the body implies — as the Fetch standard's "extract a body" does.
import { InvalidArgumentError, readWebStream, type RequestBody, type StreamBody } from '@sonic/core'
import { MultipartForm } from '@sonic/multipart'

/** A request body as fetch hands it down. */
export interface FetchBody {
  readonly body: RequestBody
  /** The Content-Type the body implies (sent unless the caller set one), or null. */
  readonly contentType: string | null
  /** The bytes can be sent again (307/308 redirects, the stale-connection retry). */
  readonly replayable: boolean
}

const EMPTY = new Uint8Array(0)
const TEXT = 'text/plain;charset=UTF-8'
const FORM = 'application/x-www-form-urlencoded;charset=UTF-8'

/** A TypeError as fetch throws for bad input, its cause the typed error. */
export function inputError(message: string, cause?: unknown): TypeError {
  return new TypeError(message, { cause: new InvalidArgumentError(message, cause === undefined ? undefined : { cause }) })
}

function isAsyncIterable(v: object): v is AsyncIterable<unknown> {
  return typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
}

/** True for a body that streams (needs `duplex: 'half'`). */
export function isStreamingInit(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body instanceof ReadableStream || isAsyncIterable(body))
}

/**
 * The body of `init.body`. Bytes are copied, as fetch does (the caller may reuse its buffer);
 * a FormData is serialised by @sonic/multipart with its exact length; a ReadableStream or async
 * iterable is sent chunked, once. Any other value is sent as its string, as WebIDL converts it.
 */
export function extractBody(init: unknown): FetchBody | Promise<FetchBody> {
  if (typeof init === 'string') return { body: Buffer.from(init, 'utf8'), contentType: TEXT, replayable: true }
  if (typeof init === 'object' && init !== null) {
    if (init instanceof ArrayBuffer) return { body: new Uint8Array(init.slice(0)), contentType: null, replayable: true }
    if (ArrayBuffer.isView(init)) {
      return { body: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), contentType: null, replayable: true }
    }
    if (init instanceof URLSearchParams) return { body: Buffer.from(init.toString(), 'utf8'), contentType: FORM, replayable: true }
    if (init instanceof Blob) return { body: blobBody(init), contentType: init.type === '' ? null : init.type, replayable: true }
    if (init instanceof FormData) return formBody(init)
    if (init instanceof ReadableStream) {
      if (init.locked) throw inputError('fetch: the request body stream is locked or was already read')
      return { body: oneShot(readWebStream(init)), contentType: null, replayable: false }
    }
    if (isAsyncIterable(init)) return { body: oneShot(init), contentType: null, replayable: false }
    if (init instanceof SharedArrayBuffer) return { body: new Uint8Array(init.slice(0)), contentType: null, replayable: true }
  }
  return { body: Buffer.from(String(init), 'utf8'), contentType: TEXT, replayable: true }
}

function blobBody(blob: Blob): StreamBody {
  return { length: blob.size, replayable: true, stream: () => readWebStream(blob.stream()) }
}

async function formBody(fd: FormData): Promise<FetchBody> {
  const form = MultipartForm.fromFormData(fd)
  const body = await form.toBody()
  return { body, contentType: form.getHeaders()['content-type'], replayable: body.replayable }
}

/** A StreamBody sent once, its chunks checked (fetch sends only Uint8Array chunks). */
function oneShot(source: AsyncIterable<unknown>, length: number | null = null): StreamBody {
  let used = false
  return {
    length,
    replayable: false,
    stream() {
      if (used) throw new InvalidArgumentError('fetch: this request body is a stream and was already sent')
      used = true
      return checked(source)
    },
  }
}

async function* checked(source: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (chunk instanceof Uint8Array) yield chunk
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8')
    else throw new InvalidArgumentError('fetch: a request body stream may yield only Uint8Array chunks')
  }
}

const PENDING: unique symbol = Symbol('pending')
type Read = ReadableStreamReadResult<Uint8Array>

/** The read's result if it settles before the event loop turns, else PENDING (the read goes on). */
function settledSoon(p: Promise<Read>): Promise<Read | typeof PENDING> {
  return new Promise((resolve, reject) => {
    const t = setImmediate(resolve, PENDING)
    p.then(
      (r) => {
        clearImmediate(t)
        resolve(r)
      },
      (err) => {
        clearImmediate(t)
        reject(err)
      },
    )
  })
}

/**
 * The body of a Request given as fetch's input. A Request keeps any body as a stream; one made
 * from a string or bytes yields it in one chunk and ends at once, so such a body is sent as bytes
 * with a Content-Length (and can follow a 307). Anything still flowing after a turn of the event
 * loop is sent as a chunked stream, nothing buffered but what was already read.
 */
export async function requestBody(req: Request): Promise<FetchBody> {
  const stream = req.body
  if (stream === null) return { body: null, contentType: null, replayable: true }
  if (req.bodyUsed || stream.locked) throw inputError('fetch: the Request body was already used')
  const reader = stream.getReader() as ReadableStreamDefaultReader<Uint8Array>
  const seen: Uint8Array[] = []
  let pending: Promise<Read> | null = null
  try {
    for (let i = 0; i < 2; i++) {
      const p = reader.read()
      const r = await settledSoon(p)
      if (r === PENDING) {
        pending = p
        break
      }
      if (r.done) {
        reader.releaseLock()
        const bytes = seen.length === 0 ? EMPTY : seen.length === 1 ? seen[0]! : Buffer.concat(seen)
        return { body: bytes, contentType: null, replayable: true }
      }
      seen.push(r.value)
    }
  } catch (err) {
    reader.releaseLock()
    throw inputError('fetch: the Request body could not be read', err)
  }
  return { body: oneShot(continued(reader, seen, pending)), contentType: null, replayable: false }
}

/** The chunks read already, then the read in flight, then the rest; stopping early cancels. */
async function* continued(reader: ReadableStreamDefaultReader<Uint8Array>, seen: Uint8Array[], pending: Promise<Read> | null): AsyncGenerator<Uint8Array> {
  let done = false
  try {
    for (const c of seen) yield c
    for (let p = pending ?? reader.read(); ; p = reader.read()) {
      const r = await p
      if (r.done) {
        done = true
        return
      }
      yield r.value
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}
