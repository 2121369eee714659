// SSEClient.connect options: the public shape and its one-time normalisation into a frozen
// internal form, so the reconnect loop never re-checks user input.
import { InvalidArgumentError, Timeouts, assertHeaderName, assertHeaderValue, assertMethod, type TimeoutsInit } from '@sonic/core'

/** Options of {@link SSEClient.connect}. */
export interface SSEConnectOptions {
  /**
   * HTTP method. Any method may carry `json`/`data` (e.g. an OpenAI-style `POST` stream).
   * @default 'GET', or 'POST' when `json` or `data` is given
   */
  method?: string
  /**
   * Extra request headers. `Accept: text/event-stream` and `Cache-Control: no-cache` are added
   * unless set here; a `Last-Event-ID` here seeds `lastEventId`.
   * @default {}
   */
  headers?: Record<string, string> | Iterable<readonly [string, string]>
  /**
   * Query parameters, passed to the client (`Record`, `[name, value][]` or `URLSearchParams`).
   * @default undefined
   */
  params?: unknown
  /**
   * Request body, passed to the client (string, bytes, urlencoded object, …).
   * @default undefined
   */
  data?: unknown
  /**
   * A JSON request body (the client sets `Content-Type: application/json`).
   * @default undefined
   */
  json?: unknown
  /**
   * Timeouts (ms) passed to the client for every (re)connection. `requestTimeout` defaults to
   * `null` here (a stream is long-lived) unless set; the others keep the client's values. A
   * `Timeouts` instance is passed as is.
   * @default { requestTimeout: null }
   */
  timeouts?: Timeouts | TimeoutsInit
  /**
   * Follow redirects (passed to the client).
   * @default the client's default (false for sonic and the fetch adapter)
   */
  follow?: boolean
  /**
   * Use HTTP/2 (passed to the client; the fetch adapter ignores it).
   * @default the client's default
   */
  http2?: boolean
  /**
   * Reconnect after a dropped connection (network error or a body cut short), waiting
   * `retryDelay` (or the server's latest `retry:`) and sending `Last-Event-ID`.
   * @default true
   */
  reconnect?: boolean
  /**
   * Wait before reconnecting, in ms, until the server sends `retry:`.
   * @default 3000
   */
  retryDelay?: number
  /**
   * Also reconnect after the server ends the response cleanly (a feed that never ends). When
   * false, a clean end of the response ends the iteration.
   * @default false
   */
  keepConnection?: boolean
  /**
   * The last event ID to resume from; sent as `Last-Event-ID` on the first request too.
   * @default ''
   */
  lastEventId?: string
  /**
   * Aborting rejects a pending `connect()` with AbortError; afterwards it closes the connection
   * like `close()`: the iteration ends.
   * @default undefined
   */
  signal?: AbortSignal
}

/** The normalised, frozen form of SSEConnectOptions. */
export interface SSEConfig {
  readonly url: string
  readonly method: string
  /** User headers with Accept/Cache-Control defaults, without Last-Event-ID. */
  readonly headers: Readonly<Record<string, string>>
  readonly params: unknown
  readonly data: unknown
  readonly json: unknown
  readonly timeouts: Timeouts | TimeoutsInit
  readonly follow: boolean | undefined
  readonly http2: boolean | undefined
  readonly reconnect: boolean
  readonly retryDelay: number
  readonly keepConnection: boolean
  readonly lastEventId: string
  readonly signal: AbortSignal | undefined
}

/** The longest delay setTimeout accepts. */
export const MAX_DELAY = 2 ** 31 - 1

function bool(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${name} must be a boolean, got ${typeof v}`)
  return v
}

/** Validates and normalises connect() input once. */
export function normalizeOptions(url: string | URL, o: SSEConnectOptions = {}): SSEConfig {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('SSE options must be an object')
  let href: string
  try {
    href = new URL(url).href
  } catch (err) {
    throw new InvalidArgumentError(`Invalid URL: ${JSON.stringify(String(url))}`, { cause: err })
  }
  const hasBody = o.json !== undefined || (o.data !== undefined && o.data !== null)
  const method = o.method ?? (hasBody ? 'POST' : 'GET')
  assertMethod(method)

  const headers: Record<string, string> = {}
  let hasAccept = false
  let hasCacheControl = false
  let headerLastId: string | undefined
  const pairs = o.headers === undefined ? [] : Symbol.iterator in o.headers ? o.headers : Object.entries(o.headers)
  for (const pair of pairs as Iterable<readonly [string, string]>) {
    const name = pair[0]
    const value = String(pair[1])
    assertHeaderName(name)
    assertHeaderValue(name, value)
    const lower = name.toLowerCase()
    if (lower === 'last-event-id') {
      headerLastId = value
      continue
    }
    if (lower === 'accept') hasAccept = true
    else if (lower === 'cache-control') hasCacheControl = true
    headers[name] = value
  }
  if (!hasAccept) headers['accept'] = 'text/event-stream'
  if (!hasCacheControl) headers['cache-control'] = 'no-cache'

  const lastEventId = o.lastEventId ?? headerLastId ?? ''
  if (typeof lastEventId !== 'string') throw new InvalidArgumentError('lastEventId must be a string')
  if (lastEventId.includes('\0')) throw new InvalidArgumentError('lastEventId must not contain NUL')
  if (lastEventId !== '') assertHeaderValue('Last-Event-ID', lastEventId)

  const retryDelay = o.retryDelay ?? 3000
  if (typeof retryDelay !== 'number' || !Number.isFinite(retryDelay) || retryDelay < 0 || retryDelay > MAX_DELAY) {
    throw new InvalidArgumentError(`retryDelay must be a number of ms between 0 and ${MAX_DELAY}, got ${String(retryDelay)}`)
  }

  let timeouts: Timeouts | TimeoutsInit
  if (o.timeouts instanceof Timeouts) timeouts = o.timeouts
  else if (o.timeouts === undefined || o.timeouts === null) timeouts = { requestTimeout: null }
  else if (typeof o.timeouts === 'object') {
    Timeouts.from(o.timeouts) // validate now rather than on the first request
    timeouts = Object.freeze({ requestTimeout: null, ...o.timeouts })
  } else throw new InvalidArgumentError('timeouts must be an object')

  const signal = o.signal
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw new InvalidArgumentError('signal must be an AbortSignal')
  }

  return Object.freeze({
    url: href,
    method,
    headers: Object.freeze(headers),
    params: o.params,
    data: o.data,
    json: o.json,
    timeouts,
    follow: o.follow === undefined ? undefined : bool('follow', o.follow, false),
    http2: o.http2 === undefined ? undefined : bool('http2', o.http2, false),
    reconnect: bool('reconnect', o.reconnect, true),
    retryDelay,
    keepConnection: bool('keepConnection', o.keepConnection, false),
    lastEventId,
    signal,
  })
}
