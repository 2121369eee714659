// fetch's answer: a response head from the dispatch stack as the global Response, its body a web
// ReadableStream that pulls from the BodyReader (nothing is read from the socket until the
// consumer asks: backpressure), with `url` and `redirected` set as fetch sets them.
import { HttpParserError, type BodyReader } from '@sonic/core'
import type { ClientResponseHead } from './client-request.js'

/** Statuses whose response has no body (the Fetch standard's null body statuses). */
function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304
}

/** What a body read failure becomes: the signal's reason after an abort, else a TypeError with the cause. */
function bodyError(err: unknown, signal: AbortSignal | null): unknown {
  if (signal !== null && signal.aborted) return signal.reason
  return new TypeError('fetch: the response body could not be read', { cause: err })
}

/**
 * Cancels the bodies of streams nobody holds any more, so that a response dropped unread gives
 * its connection back instead of keeping it busy for ever (the stream is the target: a reader of
 * the body keeps it alive even when the Response is gone).
 */
const unread = new FinalizationRegistry<BodyReader>((body) => {
  body.cancel().catch(() => {})
})

/** The underlying source of a response body: one object per response, no closure per chunk. */
class BodySource implements UnderlyingDefaultSource<Uint8Array> {
  #body: BodyReader | null
  readonly #signal: AbortSignal | null
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null

  constructor(body: BodyReader, signal: AbortSignal | null) {
    this.#body = body
    this.#signal = signal
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller
    if (this.#signal !== null) this.#signal.addEventListener('abort', this.#onAbort)
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    const body = this.#body
    if (body === null) return
    let chunk: Uint8Array | null
    try {
      if (this.#signal !== null && this.#signal.aborted) throw this.#signal.reason
      chunk = await body.read()
    } catch (err) {
      if (this.#body === null) return
      this.#end()
      body.cancel(err instanceof Error ? err : new Error('aborted')).catch(() => {})
      controller.error(bodyError(err, this.#signal))
      return
    }
    // Cancelled or aborted while the read was in flight: the stream is already settled.
    if (this.#body === null) return
    if (chunk === null) {
      this.#end()
      controller.close()
    } else controller.enqueue(chunk)
  }

  cancel(reason?: unknown): Promise<void> {
    const body = this.#body
    if (body === null) return Promise.resolve()
    this.#end()
    // A plain cancel() keeps the connection when the rest drains cheaply; an error destroys it.
    return body.cancel(reason)
  }

  #onAbort = (): void => {
    const body = this.#body
    if (body === null) return
    this.#end()
    const reason: unknown = this.#signal!.reason
    body.cancel(reason instanceof Error ? reason : new Error('aborted')).catch(() => {})
    this.#controller?.error(reason)
  }

  #end(): void {
    this.#body = null
    unread.unregister(this)
    if (this.#signal !== null) this.#signal.removeEventListener('abort', this.#onAbort)
  }

  /** Ties the body to `stream`: cancelled if the stream is collected unread. */
  watch(stream: ReadableStream<Uint8Array>): void {
    if (this.#body !== null) unread.register(stream, this.#body, this)
  }
}

/** A clone() that keeps `url` and `redirected` (the standard's clone copies them). */
function cloneKeepingUrl(this: Response): Response {
  const copy = Response.prototype.clone.call(this)
  mark(copy, this.url, this.redirected)
  return copy
}

const REDIRECTED: PropertyDescriptor = Object.freeze({ value: true, enumerable: false, configurable: true })
const CLONE: PropertyDescriptor = Object.freeze({ value: cloneKeepingUrl, enumerable: false, configurable: true, writable: true })

/** Sets what the constructor cannot: the final URL, whether a redirect was followed, a clone() that keeps both. */
function mark(res: Response, url: string, redirected: boolean): void {
  Object.defineProperty(res, 'url', { value: url, enumerable: false, configurable: true })
  if (redirected) Object.defineProperty(res, 'redirected', REDIRECTED)
  Object.defineProperty(res, 'clone', CLONE)
}

/** The response of `head` for a `method` request to the final `url`. */
export function toResponse(head: ClientResponseHead, method: string, url: string, signal: AbortSignal | null): Response {
  const status = head.status
  if (status < 200 || status > 599) {
    head.body.cancel(new Error('unusable status')).catch(() => {})
    throw new TypeError('fetch failed', { cause: new HttpParserError(`status ${status} cannot be answered to fetch`, 'HPE_INVALID_STATUS') })
  }
  let stream: ReadableStream<Uint8Array> | null = null
  let source: BodySource | null = null
  if (method === 'HEAD' || isNullBodyStatus(status)) head.body.cancel().catch(() => {})
  else {
    source = new BodySource(head.body, signal)
    stream = new ReadableStream<Uint8Array>(source, { highWaterMark: 0 })
  }
  let res: Response
  try {
    res = new Response(stream, { status, statusText: head.statusText })
  } catch {
    // A reason phrase the Response constructor refuses (it checks the grammar strictly).
    res = new Response(stream, { status })
  }
  const headers = res.headers
  const flat = head.headers.flat
  for (let i = 0; i < flat.length; i += 2) {
    try {
      headers.append(flat[i]!, flat[i + 1]!)
    } catch {
      // A field the Headers class refuses (e.g. characters above U+00FF): left out, as browsers do.
    }
  }
  if (stream !== null) source!.watch(stream)
  mark(res, url, head.history !== undefined && head.history.length > 0)
  return res
}
