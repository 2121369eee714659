// Normalises request() input once, at the public edge, into a PreparedRequest that the send path
// uses without re-checking anything. Synchronous unless the body needs async work (a multipart
// form's size comes from stat()); a plain GET to a URL seen before allocates little here.
import {
  HttpHeaders,
  InvalidArgumentError,
  Timeouts,
  assertMethod,
  validatedHeaders,
  type HeadersInit,
  type Progress,
  type TlsOptions,
} from '@sonic/core'
import type { ClientRequest, RequestPolicy } from './client-request.js'
import type { Deadline } from './deadline.js'
import { proxyForOf, type Proxy } from './proxy-option.js'
import { compressBody } from './compress-body.js'
import { encodeBody, type EncodedBody } from './encode-body.js'
import type { AuthInit, ParamsInit, RequestInput, RequestOptions } from './options.js'
import { parseUrl, targetOf, type RequestTarget, type TargetCache } from './request-target.js'

/**
 * A request normalised once at the public edge: the ClientRequest that goes through the
 * interceptors. Frozen: nothing below re-checks or changes it (interceptors pass changed copies).
 */
export interface PreparedRequest extends ClientRequest {
  readonly timeouts: Timeouts
  readonly tls: TlsOptions | null
  readonly signal: AbortSignal | null
}

/** Bounds on a response body, checked while it is read (→ ResponseTooLargeError). */
export interface BodyLimits {
  /** Most bytes of the body after decoding; null: no limit. */
  readonly maxResponseSize: number | null
  /** Most decoded ÷ encoded bytes, checked once more than 1 MiB has been decoded; null: no limit. */
  readonly maxDecompressionRatio: number | null
}

/** Checks and freezes body limits; `base` fills what `init` leaves out. */
export function bodyLimits(init: { maxResponseSize?: number | null; maxDecompressionRatio?: number | null }, base: BodyLimits): BodyLimits {
  const size = init.maxResponseSize === undefined ? base.maxResponseSize : init.maxResponseSize
  const ratio = init.maxDecompressionRatio === undefined ? base.maxDecompressionRatio : init.maxDecompressionRatio
  if (size !== null && (!Number.isSafeInteger(size) || size < 0)) throw new InvalidArgumentError('maxResponseSize must be a non-negative integer or null')
  if (ratio !== null && (typeof ratio !== 'number' || !(ratio >= 1) || !Number.isFinite(ratio))) {
    throw new InvalidArgumentError('maxDecompressionRatio must be a finite number ≥ 1 or null')
  }
  return Object.freeze({ maxResponseSize: size, maxDecompressionRatio: ratio })
}

/** API.md's defaults: no size limit, a decompression ratio of at most 1000. */
export const DEFAULT_LIMITS: BodyLimits = Object.freeze({ maxResponseSize: null, maxDecompressionRatio: 1000 })

/** Client-level defaults the normaliser merges under each request. */
export interface ClientDefaults {
  baseUrl: URL | null
  /** Default headers, validated once (flat, shared, never mutated). */
  headers: readonly string[]
  timeouts: Timeouts
  verifySsl: boolean
  maxRedirects: number
  targets: TargetCache
  /** The policy of a request that overrides none of it (shared, frozen). */
  policy: RequestPolicy
  /** Proxies made from URL strings given per request, by URL (so each is made once). */
  proxies: Map<string, Proxy>
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** Methods a client may retry automatically (RFC 9110 §9.2.2). */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method)
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT'])

function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET'
  if (KNOWN_METHODS.has(method)) return method
  const upper = String(method).toUpperCase()
  assertMethod(upper)
  return upper
}

function applyParams(url: URL, params: ParamsInit): void {
  const search = url.searchParams
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) search.append(k, v)
  } else if (Array.isArray(params)) {
    for (const pair of params as ReadonlyArray<readonly [string, string]>) search.append(String(pair[0]), String(pair[1]))
  } else if (typeof params === 'object' && params !== null) {
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null) continue
      if (Array.isArray(v)) for (const item of v) search.append(k, String(item))
      else search.append(k, String(v))
    }
  } else {
    throw new InvalidArgumentError('params must be an object, an array of pairs or URLSearchParams')
  }
}

export function basicAuth(auth: AuthInit): string {
  let user: string
  let pass: string
  if (typeof auth === 'string') {
    const i = auth.indexOf(':')
    if (i < 0) throw new InvalidArgumentError("auth string must be 'user:pass'")
    user = auth.slice(0, i)
    pass = auth.slice(i + 1)
  } else if (auth && typeof auth === 'object' && typeof auth.username === 'string') {
    user = auth.username
    pass = auth.password ?? ''
  } else {
    throw new InvalidArgumentError('auth must be { username, password } or a "user:pass" string')
  }
  if (user.includes(':')) throw new InvalidArgumentError('auth username must not contain ":"')
  return 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')
}

/** User headers as a flat array (checked by validatedHeaders when the request is sealed). */
export function flattenHeaders(init: HeadersInit): string[] {
  return (init instanceof HttpHeaders ? init : new HttpHeaders(init)).flat
}

/** Request headers over client defaults, case-insensitively (request wins). */
function mergeHeaders(defaults: readonly string[], init: HeadersInit): string[] {
  const req = flattenHeaders(init)
  if (defaults.length === 0) return req.slice()
  const out: string[] = []
  for (let i = 0; i < defaults.length; i += 2) if (!hasHeader(req, defaults[i]!)) out.push(defaults[i]!, defaults[i + 1]!)
  for (let i = 0; i < req.length; i++) out.push(req[i]!)
  return out
}

export function hasHeader(flat: readonly string[], name: string): boolean {
  const lower = name.toLowerCase()
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.length === lower.length && flat[i]!.toLowerCase() === lower) return true
  return false
}

/** The tls options of a plain `verify: false` request: one shared object, one pool key. */
const NO_VERIFY: TlsOptions = Object.freeze({ verify: false })
/** TlsOptions made for a user's tls object, by verify and pin: the same object keys one pool, hashed once. */
const tlsMade = new WeakMap<object, Map<string, TlsOptions>>()

function tlsOptions(opts: RequestOptions, defaults: ClientDefaults): TlsOptions | null {
  const verify = opts.verify ?? defaults.verifySsl
  if (opts.tls === undefined && opts.fingerprint === undefined) return verify ? null : NO_VERIFY
  let fingerprint: string | null = null
  if (opts.fingerprint !== undefined) {
    fingerprint = String(opts.fingerprint).replace(/:/g, '').toLowerCase()
    if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new InvalidArgumentError('fingerprint must be a sha256 hex digest (64 hex chars)')
  }
  const user = opts.tls
  if (user !== undefined && (user === null || typeof user !== 'object')) throw new InvalidArgumentError('tls must be an object of tls.connect options')
  if (user === undefined) return Object.freeze({ verify, fingerprint })
  let made = tlsMade.get(user)
  if (made === undefined) {
    made = new Map()
    tlsMade.set(user, made)
  }
  const key = `${verify ? 1 : 0}${fingerprint ?? ''}`
  let tls = made.get(key)
  if (tls === undefined) {
    tls = Object.freeze({ ...user, verify, fingerprint })
    made.set(key, tls)
  }
  return tls
}

/** The target of `input`, from the client's cache when the URL was seen before. */
function resolveTarget(input: RequestInput, opts: RequestOptions, defaults: ClientDefaults): { target: RequestTarget; auth: string | null } {
  const cacheable = typeof input === 'string' && opts.params == null
  if (cacheable) {
    const hit = defaults.targets.get(input)
    if (hit !== undefined) return { target: hit, auth: null }
  }
  const url = parseUrl(input, defaults.baseUrl)
  if (opts.params != null) applyParams(url, opts.params)
  let auth: string | null = null
  if (url.username !== '' || url.password !== '') {
    auth = basicAuth({ username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) })
    url.username = ''
    url.password = ''
  }
  const target = targetOf(url)
  if (cacheable && auth === null) defaults.targets.set(input as string, target)
  return { target, auth }
}

/** Normalises one request into a frozen PreparedRequest. Returns a promise only when the body needs async work. */
export function prepareRequest(
  input: RequestInput,
  opts: RequestOptions,
  defaults: ClientDefaults,
): PreparedRequest | Promise<PreparedRequest> {
  if (opts.http2 === true) throw new InvalidArgumentError('HTTP/2 is not available in this build of sonic yet')
  const { target, auth: urlAuth } = resolveTarget(input, opts, defaults)
  const method = normalizeMethod(opts.method)

  let headers: readonly string[] = opts.headers == null ? defaults.headers : mergeHeaders(defaults.headers, opts.headers)
  const authHeader = opts.auth !== undefined ? basicAuth(opts.auth) : urlAuth
  if (authHeader !== null && !hasHeader(headers, 'authorization')) headers = [...headers, 'authorization', authHeader]

  const maxRedirects = opts.maxRedirects ?? defaults.maxRedirects
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new InvalidArgumentError('maxRedirects must be a non-negative integer')
  const compress = opts.compress ?? false
  if (compress !== false && compress !== 'gzip' && compress !== 'deflate') {
    throw new InvalidArgumentError("compress must be 'gzip', 'deflate' or false")
  }
  const signal = opts.signal ?? null
  if (signal !== null && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal must be an AbortSignal')
  const timeouts = opts.timeouts === undefined ? defaults.timeouts : Timeouts.from(opts.timeouts, defaults.timeouts)

  const draft = new Sealed(
    target,
    method,
    headers,
    signal,
    timeouts,
    opts.expect100 === true,
    opts.onUploadProgress ?? null,
    target.https ? tlsOptions(opts, defaults) : null,
    policyOf(opts, maxRedirects, defaults),
  )
  if (opts.data == null && opts.json === undefined) return seal(draft)
  const encoded = encodeBody(opts.data, opts.json, opts.jsonSerializer ?? JSON.stringify, opts.multipart === true)
  return encoded instanceof Promise ? encoded.then((e) => withBody(draft, e, compress)) : withBody(draft, encoded, compress)
}

/** The client's shared policy object, or a new one when the request overrides part of it. */
function policyOf(opts: RequestOptions, maxRedirects: number, defaults: ClientDefaults): RequestPolicy {
  const base = defaults.policy
  if (
    opts.follow === undefined &&
    opts.proxy === undefined &&
    maxRedirects === base.maxRedirects &&
    opts.maxResponseSize === undefined &&
    opts.maxDecompressionRatio === undefined &&
    opts.onDownloadProgress == null
  ) {
    return base
  }
  return Object.freeze({
    follow: opts.follow ?? base.follow,
    maxRedirects,
    limits: opts.maxResponseSize === undefined && opts.maxDecompressionRatio === undefined ? base.limits : bodyLimits(opts, base.limits),
    decompress: base.decompress,
    onDownloadProgress: opts.onDownloadProgress ?? null,
    proxyFor: opts.proxy === undefined ? base.proxyFor : proxyForOf(opts.proxy, defaults.proxies),
  })
}

type Draft = { -readonly [K in keyof PreparedRequest]: PreparedRequest[K] }

/**
 * The one shape of a prepared request (a class, so `instanceof` tells a sealed request without a
 * registry). Built here, completed by withBody, then frozen by seal().
 */
class Sealed implements Draft {
  origin: string
  method: string
  path: string
  authority: string
  scheme: 'http' | 'https'
  headers: readonly string[]
  body: PreparedRequest['body'] = null
  signal: AbortSignal | null
  sockRead: number | null
  expectContinue: boolean
  onUploadProgress: PreparedRequest['onUploadProgress']
  tls: TlsOptions | null
  timeouts: Timeouts
  href: string
  replayable = true
  policy: RequestPolicy
  proxy: Proxy | null
  deadline: Deadline | null = null

  constructor(
    target: RequestTarget,
    method: string,
    headers: readonly string[],
    signal: AbortSignal | null,
    timeouts: Timeouts,
    expectContinue: boolean,
    onUploadProgress: PreparedRequest['onUploadProgress'],
    tls: TlsOptions | null,
    policy: RequestPolicy,
  ) {
    this.origin = target.origin
    this.method = method
    this.path = target.path
    this.authority = target.authority
    this.scheme = target.https ? 'https' : 'http'
    this.headers = headers
    this.signal = signal
    this.sockRead = timeouts.sockRead
    this.expectContinue = expectContinue
    this.onUploadProgress = onUploadProgress
    this.tls = tls
    this.timeouts = timeouts
    this.href = target.href
    this.policy = policy
    this.proxy = policy.proxyFor === null ? null : policy.proxyFor(target.href)
  }
}

function withBody(draft: Sealed, encoded: EncodedBody, compress: 'gzip' | 'deflate' | false): PreparedRequest | Promise<PreparedRequest> {
  draft.body = encoded.body
  draft.replayable = encoded.replayable
  if (encoded.contentType !== null && !hasHeader(draft.headers, 'content-type')) {
    draft.headers = [...draft.headers, 'content-type', encoded.contentType]
  }
  if (compress === false || draft.body === null) return seal(draft)
  return compressBody(draft.body, compress).then((body) => {
    draft.body = body
    draft.headers = [...draft.headers, 'content-encoding', compress]
    return seal(draft)
  })
}

/** Checks the headers once (a list seen before, like the client's defaults, is known good) and freezes the request. */
function seal(draft: Sealed): PreparedRequest {
  draft.headers = validatedHeaders(draft.headers)
  return Object.freeze(draft)
}

/**
 * `req` with its deadline set: for a sealed request a field-by-field copy (V8's fast object
 * spread does not take frozen objects: `{ ...req }` of one costs ~0.3 µs), else a spread that keeps
 * whatever fields a caller's own request has. The copy is not frozen; the sealed original stays.
 */
export function withDeadlineField(req: ClientRequest, deadline: Deadline): ClientRequest {
  if (!(req instanceof Sealed)) return { ...req, deadline }
  const p = req as PreparedRequest
  return {
    origin: p.origin,
    method: p.method,
    path: p.path,
    authority: p.authority,
    scheme: p.scheme,
    headers: p.headers,
    body: p.body,
    signal: p.signal,
    sockRead: p.sockRead,
    expectContinue: p.expectContinue,
    onUploadProgress: p.onUploadProgress,
    tls: p.tls,
    timeouts: p.timeouts,
    href: p.href,
    replayable: p.replayable,
    policy: p.policy,
    proxy: p.proxy,
    deadline,
  }
}
