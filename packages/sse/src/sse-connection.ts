// One logical SSE stream: the current response, the parser, and the reconnect loop. Events are
// read with backpressure: one chunk is read and parsed, its events are yielded, and only then is
// the next chunk pulled from the client.
import { AbortError, InvalidArgumentError } from '@sonic/core'
import { EventStreamParser, type ServerSentEvent } from './event-stream-parser.js'
import type { SSECapableClient, SSECapableResponse, SSERequestOptions } from './sse-capable-client.js'
import { MAX_DELAY, type SSEConfig } from './sse-options.js'
import { SSEResponseError } from './sse-response-error.js'

/** Where an SSEConnection stands, as in EventSource. */
export type SSEReadyState = 'connecting' | 'open' | 'closed'

/**
 * A live event stream returned by `SSEClient.connect()`. Iterate it once with `for await`; the
 * iteration ends on `close()`, on the signal's abort, on a 204 answer, or on a clean end of the
 * response unless `keepConnection`. It reconnects after a dropped connection when `reconnect`.
 *
 * @example
 * await using conn = await new SSEClient().connect('http://127.0.0.1:8080/events')
 * for await (const ev of conn) if (ev.event === 'done') break
 */
export class SSEConnection implements AsyncIterable<ServerSentEvent>, AsyncDisposable {
  readonly #client: SSECapableClient
  readonly #config: SSEConfig
  readonly #parser: EventStreamParser
  readonly #queue: ServerSentEvent[] = []
  /** Aborts the request in flight (and its body) on close. */
  readonly #controller = new AbortController()
  #state: SSEReadyState = 'connecting'
  #closed = false
  #iterated = false
  #retryDelay: number
  #response: SSECapableResponse | null = null
  #reader: AsyncIterator<Uint8Array> | null = null
  #timer: ReturnType<typeof setTimeout> | undefined = undefined
  #wake: (() => void) | undefined = undefined
  readonly #onAbort = (): void => void this.close()

  /** @internal Use `SSEClient.connect()`. */
  constructor(client: SSECapableClient, config: SSEConfig) {
    this.#client = client
    this.#config = config
    this.#retryDelay = config.retryDelay
    this.#parser = new EventStreamParser((ev) => this.#queue.push(ev), {
      lastEventId: config.lastEventId,
      onRetry: (ms) => {
        this.#retryDelay = ms > MAX_DELAY ? MAX_DELAY : ms
      },
    })
  }

  /** @internal Makes the first request; rejects (and cleans up) when it cannot give a stream. */
  async open(): Promise<this> {
    const signal = this.#config.signal
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason })
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    try {
      await this.#connect()
    } catch (err) {
      const aborted = signal?.aborted === true
      await this.close()
      if (aborted) throw new AbortError(undefined, { cause: signal!.reason })
      throw err
    }
    return this
  }

  /** `'connecting'` while (re)connecting or waiting to, `'open'` while a response streams, `'closed'` at the end. */
  get readyState(): SSEReadyState {
    return this.#state
  }

  /** The last event ID seen (or the one given to connect); sent as `Last-Event-ID` when reconnecting. */
  get lastEventId(): string {
    return this.#parser.lastEventId
  }

  /** The current reconnection delay in ms: `retryDelay`, or the server's latest `retry:`. */
  get retryDelay(): number {
    return this.#retryDelay
  }

  /** The URL of the stream. */
  get url(): string {
    return this.#config.url
  }

  /**
   * Ends the stream at once: aborts the request in flight, clears a pending reconnect delay,
   * releases the response. A pending or later `next()` of the iteration returns done. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#state = 'closed'
    this.#config.signal?.removeEventListener('abort', this.#onAbort)
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#wake?.()
    this.#controller.abort(new AbortError('The SSE connection was closed'))
    await this.#drop()
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** The events, in order. A connection can be iterated once. */
  [Symbol.asyncIterator](): AsyncGenerator<ServerSentEvent, void, undefined> {
    if (this.#iterated) throw new InvalidArgumentError('An SSEConnection can be iterated only once')
    this.#iterated = true
    return this.#events()
  }

  async *#events(): AsyncGenerator<ServerSentEvent, void, undefined> {
    const queue = this.#queue
    try {
      while (this.#reader !== null && !this.#closed) {
        const reader = this.#reader
        let clean = false
        let failure: unknown
        try {
          for (;;) {
            const r = await reader.next()
            if (r.done) {
              clean = true
              break
            }
            this.#parser.feed(r.value)
            for (let i = 0; i < queue.length; i++) {
              yield queue[i]!
              if (this.#closed) return
            }
            queue.length = 0
          }
        } catch (err) {
          if (this.#closed) return
          failure = err
        }
        queue.length = 0
        this.#parser.end()
        await this.#drop()
        if (this.#closed) return
        if (failure !== undefined && !this.#config.reconnect) throw failure
        if (failure === undefined && !this.#config.keepConnection) return
        if (!(await this.#reconnect())) return
      }
    } finally {
      await this.close()
    }
  }

  /**
   * Waits and reconnects until a stream is open (true) or the server says stop with 204 or the
   * connection is closed (false). Network errors are retried; a response that is not an event
   * stream throws SSEResponseError.
   */
  async #reconnect(): Promise<boolean> {
    for (;;) {
      this.#state = 'connecting'
      await this.#sleep(this.#retryDelay)
      if (this.#closed) return false
      try {
        return await this.#connect()
      } catch (err) {
        if (this.#closed) return false
        if (err instanceof SSEResponseError) throw err
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#wake = undefined
        resolve()
      }, ms)
    })
  }

  /** One request. True: a stream is open. False: 204, the server wants no stream. */
  async #connect(): Promise<boolean> {
    this.#state = 'connecting'
    const c = this.#config
    const lastEventId = this.#parser.lastEventId
    const options: SSERequestOptions = {
      method: c.method,
      headers: lastEventId === '' ? { ...c.headers } : { ...c.headers, 'last-event-id': lastEventId },
      timeouts: c.timeouts,
      signal: this.#controller.signal,
    }
    if (c.params !== undefined) options.params = c.params
    if (c.json !== undefined) options.json = c.json
    else if (c.data !== undefined) options.data = c.data
    if (c.follow !== undefined) options.follow = c.follow
    if (c.http2 !== undefined) options.http2 = c.http2

    const res = await this.#client.request(c.url, options)
    if (this.#closed) {
      await res.release().catch(() => {})
      return false
    }
    const status = res.status
    const contentType = res.headers.get('content-type')
    if (status === 204) {
      await res.release().catch(() => {})
      return false
    }
    if (status < 200 || status > 299 || !isEventStream(contentType)) {
      await res.release().catch(() => {})
      throw new SSEResponseError(status, contentType)
    }
    this.#response = res
    this.#reader = res.readChunks()[Symbol.asyncIterator]()
    this.#parser.reset()
    this.#state = 'open'
    return true
  }

  /** Releases the current response, if any. */
  async #drop(): Promise<void> {
    const res = this.#response
    const reader = this.#reader
    this.#response = null
    this.#reader = null
    if (res === null) return
    await res.release().catch(() => {})
    // Closing the reader too lets a client that ignores release() free its resources. Not
    // awaited: a read still pending inside it must not hold close() up.
    reader?.return?.()?.catch(() => {})
  }
}

/** True when the media type (parameters aside, any case) is text/event-stream. */
function isEventStream(contentType: string | null): boolean {
  if (contentType === null) return false
  const semi = contentType.indexOf(';')
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
  return type === 'text/event-stream'
}
