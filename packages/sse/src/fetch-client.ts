// The client SSEClient uses when none is given: sonic's request shape over the global `fetch`.
// It translates sonic's options (params, json, data, timeouts, follow) and maps failures to
// sonic's errors, keeping the fetch error (and its OS error) as `cause`.
import {
  AbortError,
  ConnectError,
  ConnectionClosedError,
  InvalidArgumentError,
  ReadTimeoutError,
  RequestTimeoutError,
  Timeouts,
  type TimeoutsInit,
} from '@sonic/core'
import type { SSECapableClient, SSECapableResponse, SSERequestOptions } from './sse-capable-client.js'

type FetchFn = typeof globalThis.fetch

/**
 * A minimal client with sonic's `request` shape over `fetch` (Node's built-in undici fetch by
 * default). Supports `method`, `headers`, `params`, `json`, `data` (string, bytes, ArrayBuffer,
 * URLSearchParams or a plain object sent urlencoded), `timeouts.sockRead` (each wait for the
 * response head or a chunk), `timeouts.requestTimeout` (the whole exchange), `follow`
 * (default false: a 3xx is returned as is) and `signal`. `http2` and `timeouts.sockConnect`
 * are not available through fetch and are ignored.
 *
 * @example
 * const sse = new SSEClient(new FetchClient(myFetch))
 */
export class FetchClient implements SSECapableClient {
  readonly #fetch: FetchFn

  /** @param fetchImpl the fetch to use. @default globalThis.fetch */
  constructor(fetchImpl: FetchFn = globalThis.fetch) {
    if (typeof fetchImpl !== 'function') throw new InvalidArgumentError('FetchClient needs a fetch function (none is available globally)')
    this.#fetch = fetchImpl
  }

  async request(url: string, options: SSERequestOptions = {}): Promise<SSECapableResponse> {
    let target: URL
    try {
      target = new URL(url)
    } catch (err) {
      throw new InvalidArgumentError(`Invalid URL: ${JSON.stringify(url)}`, { cause: err })
    }
    appendParams(target, options.params)
    const headers = new Headers(options.headers)
    const body = requestBody(options, headers)
    const timeouts = Timeouts.from(options.timeouts as TimeoutsInit | undefined)
    const userSignal = options.signal
    if (userSignal?.aborted) throw new AbortError(undefined, { cause: userSignal.reason })

    const controller = new AbortController()
    let released = false
    const onAbort = (): void => controller.abort(new AbortError(undefined, { cause: userSignal?.reason }))
    userSignal?.addEventListener('abort', onAbort, { once: true })
    const timers: ReturnType<typeof setTimeout>[] = []
    const cleanup = (): void => {
      for (const t of timers) clearTimeout(t)
      userSignal?.removeEventListener('abort', onAbort)
    }
    if (timeouts.requestTimeout !== null) {
      const limit = timeouts.requestTimeout
      timers.push(setTimeout(() => controller.abort(new RequestTimeoutError(`Request took longer than ${limit} ms`, limit)), limit))
    }
    // sockRead bounds each wait for the server (the head, then every chunk), not the time the
    // consumer spends between reads: while nobody waits, the timer only re-arms itself.
    let waiting = true
    let readTimer: ReturnType<typeof setTimeout> | undefined
    if (timeouts.sockRead !== null) {
      const limit = timeouts.sockRead
      readTimer = setTimeout(() => {
        if (waiting) controller.abort(new ReadTimeoutError(`No data from the server for ${limit} ms`, limit))
        else readTimer?.refresh()
      }, limit)
      timers.push(readTimer)
    }
    const failure = (err: unknown, fallback: (cause: unknown) => Error): Error => {
      const reason: unknown = controller.signal.reason
      if (controller.signal.aborted && reason instanceof Error) return reason
      return fallback(err)
    }

    let res: Response
    try {
      res = await this.#fetch(target, {
        method: options.method ?? 'GET',
        headers,
        body,
        redirect: options.follow === true ? 'follow' : 'manual',
        signal: controller.signal,
      })
    } catch (err) {
      cleanup()
      throw failure(err, (cause) => new ConnectError(`Request to ${target.origin} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause: rootCause(cause) }))
    }
    waiting = false

    const stream = res.body
    let reading = false
    return {
      status: res.status,
      headers: res.headers,
      async *readChunks(): AsyncGenerator<Uint8Array, void, undefined> {
        if (reading) throw new InvalidArgumentError('readChunks() may be called once')
        reading = true
        if (stream === null || released) {
          cleanup()
          return
        }
        const reader = stream.getReader()
        let finished = false
        try {
          for (;;) {
            let r: ReadableStreamReadResult<Uint8Array>
            waiting = true
            readTimer?.refresh()
            try {
              r = await reader.read()
            } catch (err) {
              if (released) return
              throw failure(err, (cause) => new ConnectionClosedError(undefined, { cause: rootCause(cause) }))
            }
            if (r.done) {
              finished = true
              return
            }
            waiting = false
            yield r.value
          }
        } finally {
          cleanup()
          if (!finished) await reader.cancel().catch(() => {})
          reader.releaseLock()
        }
      },
      async release(): Promise<void> {
        if (released) return
        released = true
        cleanup()
        controller.abort(new AbortError('The response was released'))
        if (!reading && stream !== null) await stream.cancel().catch(() => {})
      },
    }
  }
}

/** The OS error behind a fetch failure (undici wraps it as `cause`), else the error itself. */
function rootCause(err: unknown): unknown {
  const cause = (err as { cause?: unknown } | null)?.cause
  return cause instanceof Error ? cause : err
}

function appendParams(url: URL, params: unknown): void {
  if (params === undefined || params === null) return
  const sp = url.searchParams
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) sp.append(k, v)
  } else if (Array.isArray(params)) {
    for (const pair of params as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidArgumentError('params pairs must be [name, value]')
      sp.append(String(pair[0]), String(pair[1]))
    }
  } else if (typeof params === 'object') {
    for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
      if (v === undefined) continue
      if (Array.isArray(v)) for (const item of v) sp.append(k, String(item))
      else sp.append(k, String(v))
    }
  } else {
    throw new InvalidArgumentError('params must be an object, an array of pairs or URLSearchParams')
  }
}

function requestBody(options: SSERequestOptions, headers: Headers): BodyInit | undefined {
  if (options.json !== undefined) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    return JSON.stringify(options.json)
  }
  const data = options.data
  if (data === undefined || data === null) return undefined
  if (typeof data === 'string') return data
  if (data instanceof Uint8Array) return data as Uint8Array<ArrayBuffer>
  if (data instanceof ArrayBuffer) return data
  if (data instanceof URLSearchParams || (typeof data === 'object' && Object.getPrototypeOf(data) === Object.prototype)) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded')
    return new URLSearchParams(data as Record<string, string>).toString()
  }
  throw new InvalidArgumentError('The fetch adapter sends data as a string, Uint8Array, ArrayBuffer, URLSearchParams or plain object')
}
