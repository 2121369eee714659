// fetch's input, normalised once: a string, URL or Request plus RequestInit become the
// ClientRequest that goes through the interceptors, as the Fetch standard's Request constructor
// would make it (method normalisation, header checks, body extraction, redirect mode, signal).
// Bad input → TypeError whose cause is InvalidArgumentError, as fetch rejects.
import { defaultMaxListeners, getMaxListeners, setMaxListeners } from 'node:events'
import { isToken, validatedHeaders, type DispatchRequest, type Timeouts } from '@sonic/core'
import type { Deadline } from './deadline.js'
import { ACCEPT_ENCODING } from './decode-body.js'
import { extractBody, inputError, isStreamingInit, requestBody, type FetchBody } from './fetch-body.js'
import { targetOf, TargetCache, type RequestTarget } from './request-target.js'

/** fetch's second argument: RequestInit plus `duplex` (and async iterable bodies, as undici takes). */
export interface FetchInit extends Omit<RequestInit, 'body'> {
  body?: RequestInit['body'] | AsyncIterable<Uint8Array> | null
  /** Needed for a streaming body ('half': the only value the standard has). */
  duplex?: 'half'
}

/** What fetch() accepts as its first argument. */
export type FetchInput = string | URL | Request

export type RedirectMode = 'follow' | 'manual' | 'error'

/**
 * The request fetch dispatches: a DispatchRequest plus what the deadline, redirect and retry
 * interceptors read (the URL of the hop, whether the body can be sent again). It carries no
 * HTTPClient policy, so interceptors given to createFetch (retry, raiseForStatus, …) use the
 * options they were made with; the redirect mode picks the stack (with or without redirect()).
 */
export interface FetchRequest extends DispatchRequest {
  readonly href: string
  readonly timeouts: Timeouts
  readonly replayable: boolean
  readonly deadline: Deadline | null
}

/** One normalised fetch call. */
export interface FetchCall {
  readonly req: FetchRequest
  readonly redirect: RedirectMode
  readonly signal: AbortSignal | null
}

/** The Fetch standard's redirect limit. */
export const FETCH_MAX_REDIRECTS = 20

/** Headers fetch sends unless the caller set them (as undici's fetch does; sonic names itself). */
const DEFAULTS: readonly [string, string][] = [
  ['accept', '*/*'],
  ['accept-language', '*'],
  ['sec-fetch-mode', 'cors'],
  ['user-agent', 'sonic/0.1'],
  ['accept-encoding', ACCEPT_ENCODING],
]
const DEFAULT_FLAT = validatedHeaders(DEFAULTS.flat())

/** Method names the standard upper-cases; others are sent as written. */
const NORMALISED: Record<string, string> = { delete: 'DELETE', get: 'GET', head: 'HEAD', options: 'OPTIONS', post: 'POST', put: 'PUT' }
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])
/** Headers that would change the framing or the connection (undici refuses them too). */
const FRAMING = new Set(['transfer-encoding', 'keep-alive', 'upgrade', 'expect'])

const targets = new TargetCache()
const EMPTY_BODY: FetchBody = Object.freeze({ body: null, contentType: null, replayable: true })

/** A WHATWG Request, from the global or another copy of undici (they do not share a class). */
function isRequest(v: unknown): v is Request {
  if (v instanceof Request) return true
  return typeof v === 'object' && v !== null && typeof (v as Request).url === 'string' && typeof (v as Request).arrayBuffer === 'function' && typeof (v as Request).headers === 'object' && typeof (v as Request).method === 'string'
}

/** The target of an http(s) URL; data:, blob: and others → a string naming the scheme. */
function targetFor(href: string): RequestTarget | string {
  const hit = targets.get(href)
  if (hit !== undefined) return hit
  let url: URL
  try {
    url = new URL(href)
  } catch (cause) {
    throw inputError(`fetch: failed to parse URL from ${href}`, cause)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return url.protocol
  if (url.username !== '' || url.password !== '') throw inputError('fetch: a request URL must not include credentials')
  url.hash = ''
  const t = targetOf(url)
  targets.set(href, t)
  return t
}

function normaliseMethod(m: unknown): string {
  const s = String(m)
  const known = NORMALISED[s] ?? NORMALISED[s.toLowerCase()]
  if (known !== undefined) return known
  if (!isToken(s)) throw inputError(`fetch: ${JSON.stringify(s)} is not a valid HTTP method`)
  if (FORBIDDEN_METHODS.has(s.toUpperCase())) throw inputError(`fetch: the ${s} method is forbidden`)
  return s
}

/** HTTP whitespace around a value is dropped, as Headers does. */
function trimValue(v: string): string {
  const n = v.length
  if (n === 0) return v
  const a = v.charCodeAt(0)
  const b = v.charCodeAt(n - 1)
  return a === 0x20 || a === 0x09 || a === 0x0a || a === 0x0d || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d ? v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '') : v
}

/** Appends one caller header to `out`, checking what the framing depends on. */
function pushHeader(out: string[], name: unknown, value: unknown): void {
  const n = String(name)
  const v = trimValue(String(value))
  const lower = n.toLowerCase()
  if (FRAMING.has(lower)) throw inputError(`fetch: the ${lower} header is not supported`)
  if (lower === 'connection') {
    const c = v.toLowerCase()
    if (c !== 'close' && c !== 'keep-alive') throw inputError('fetch: the connection header must be close or keep-alive')
  }
  out.push(n, v)
}

/** The caller's headers as a flat list (unchecked names and values are checked on sealing). */
function flatHeaders(init: unknown): string[] {
  const out: string[] = []
  if (init === null || typeof init !== 'object') {
    if (init === undefined) return out
    throw inputError('fetch: headers must be a Headers, an array of pairs or an object')
  }
  if (init instanceof Headers || (typeof (init as Headers).forEach === 'function' && typeof (init as Headers).getSetCookie === 'function')) {
    // Each Set-Cookie comes on its own, the rest combined, as the standard iterates a Headers.
    ;(init as Headers).forEach((v, k) => pushHeader(out, k, v))
    return out
  }
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of init as Iterable<unknown>) {
      if (pair === null || typeof pair !== 'object' || typeof (pair as Iterable<unknown>)[Symbol.iterator] !== 'function') {
        throw inputError('fetch: each header pair must be a [name, value] sequence')
      }
      const p = Array.isArray(pair) ? pair : [...(pair as Iterable<unknown>)]
      if (p.length !== 2) throw inputError('fetch: each header pair must have exactly two items')
      pushHeader(out, p[0], p[1])
    }
    return out
  }
  for (const k of Object.keys(init)) pushHeader(out, k, (init as Record<string, unknown>)[k])
  return out
}

function has(flat: readonly string[], lower: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.length === lower.length && flat[i]!.toLowerCase() === lower) return true
  return false
}

/** The caller's headers, the body's Content-Type and the defaults fetch adds, checked once. */
function sealHeaders(user: string[], contentType: string | null): readonly string[] {
  if (user.length === 0 && contentType === null) return DEFAULT_FLAT
  if (contentType !== null && !has(user, 'content-type')) user.push('content-type', contentType)
  for (const [k, v] of DEFAULTS) if (!has(user, k)) user.push(k, v)
  try {
    return validatedHeaders(user)
  } catch (err) {
    throw new TypeError(err instanceof Error ? `fetch: ${err.message}` : 'fetch: invalid header', { cause: err })
  }
}

/**
 * Normalises one call. Returns the scheme (e.g. 'data:') for URLs fetch hands to Node's own
 * fetch, and a promise only when the body needs async work (a FormData, a Request's body).
 */
export function prepareFetch(input: FetchInput, init: FetchInit | undefined, timeouts: Timeouts): FetchCall | string | Promise<FetchCall> {
  if (init !== undefined && (init === null || typeof init !== 'object')) {
    if (init !== null) throw inputError('fetch: init must be an object')
    init = undefined
  }
  const request = typeof input === 'string' || input instanceof URL ? null : isRequest(input) ? input : null
  const href = typeof input === 'string' ? input : request !== null ? request.url : String(input instanceof URL ? input.href : input)
  const target = targetFor(href)
  if (typeof target === 'string') return target

  const method = init?.method !== undefined ? normaliseMethod(init.method) : request !== null ? normaliseMethod(request.method) : 'GET'
  const redirect = init?.redirect ?? request?.redirect ?? 'follow'
  if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw inputError(`fetch: redirect must be 'follow', 'manual' or 'error'`)
  const signal = init !== undefined && 'signal' in init && init.signal !== undefined ? init.signal : (request?.signal ?? null)
  if (signal !== null) {
    if (!(signal instanceof AbortSignal)) throw inputError('fetch: signal must be an AbortSignal')
    // One signal may well serve many requests at once (each listens to it while it runs), as undici allows.
    if (getMaxListeners(signal) === defaultMaxListeners) setMaxListeners(1500, signal)
  }
  if (init?.duplex !== undefined && init.duplex !== 'half') throw inputError("fetch: duplex must be 'half'")
  const userHeaders = init?.headers !== undefined ? flatHeaders(init.headers) : request !== null ? flatHeaders(request.headers) : []

  const bodyInit = init?.body
  const fromRequest = bodyInit === undefined && request !== null && request.body !== null
  if ((bodyInit != null || fromRequest) && (method === 'GET' || method === 'HEAD')) throw inputError(`fetch: a ${method} request cannot have a body`)
  let body: FetchBody | Promise<FetchBody> = EMPTY_BODY
  if (bodyInit != null) {
    if (isStreamingInit(bodyInit) && init?.duplex !== 'half') throw inputError("fetch: a stream body needs duplex: 'half'")
    body = extractBody(bodyInit)
  } else if (fromRequest) {
    // The Request's own Content-Type describes its body, also under headers given in init.
    const type = request.headers.get('content-type')
    body = requestBody(request).then((b) => (type === null ? b : { ...b, contentType: type }))
  }
  if (body instanceof Promise) return body.then((b) => ({ req: fetchRequest(target, method, sealHeaders(userHeaders, b.contentType), b, signal, timeouts), redirect, signal }))
  return { req: fetchRequest(target, method, sealHeaders(userHeaders, body.contentType), body, signal, timeouts), redirect, signal }
}

function fetchRequest(t: RequestTarget, method: string, headers: readonly string[], b: FetchBody, signal: AbortSignal | null, timeouts: Timeouts): FetchRequest {
  return {
    origin: t.origin,
    method,
    path: t.path,
    authority: t.authority,
    scheme: t.https ? 'https' : 'http',
    headers,
    body: b.body,
    signal,
    sockRead: timeouts.sockRead,
    expectContinue: false,
    onUploadProgress: null,
    tls: null,
    timeouts,
    href: t.href,
    replayable: b.replayable,
    proxy: null,
    deadline: null,
  }
}
