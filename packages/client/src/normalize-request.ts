// Normalises request() input once, at the public edge, into a PreparedRequest that the send path
// uses without re-checking anything. Synchronous unless the body needs async work (a multipart
// form's size comes from stat()); a plain GET to a URL seen before allocates little here.
import {
  HttpHeaders,
  InvalidArgumentError,
  Timeouts,
  assertHeaderName,
  assertHeaderValue,
  assertMethod,
  type HeadersInit,
  type Progress,
  type RequestBody,
} from '@sonic/core'
import { createHash, type Hash } from 'node:crypto'
import type { ConnectionOptions } from 'node:tls'
import { encodeBody, type EncodedBody } from './encode-body.js'
import type { AuthInit, ParamsInit, RequestInput, RequestOptions } from './options.js'
import { parseUrl, targetOf, type RequestTarget, type TargetCache } from './request-target.js'

export interface PreparedRequest {
  target: RequestTarget
  method: string
  /** Flat validated headers [name, value, …]; may be shared with the client: never mutate. */
  headers: readonly string[]
  body: RequestBody
  replayable: boolean
  timeouts: Timeouts
  signal: AbortSignal | null
  follow: boolean
  maxRedirects: number
  tls: TlsSettings | null
  expectContinue: boolean
  compress: 'gzip' | 'deflate' | false
  onUploadProgress: ((p: Progress) => void) | null
  onDownloadProgress: ((p: Progress) => void) | null
  http2: boolean
  limits: BodyLimits
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

/** TLS settings that change which connections may be shared. */
export interface TlsSettings {
  rejectUnauthorized: boolean
  options: ConnectionOptions | null
  fingerprint: string | null
  /** Pool key suffix. */
  key: string
}

/** Client-level defaults the normaliser merges under each request. */
export interface ClientDefaults {
  baseUrl: URL | null
  /** Default headers, validated once (flat, shared, never mutated). */
  headers: readonly string[]
  timeouts: Timeouts
  verifySsl: boolean
  maxRedirects: number
  http2: boolean
  targets: TargetCache
  limits: BodyLimits
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

/** Validates user headers into a flat array. */
export function flattenHeaders(init: HeadersInit): string[] {
  const flat = (init instanceof HttpHeaders ? init : new HttpHeaders(init)).flat
  for (let i = 0; i < flat.length; i += 2) {
    assertHeaderName(flat[i]!)
    assertHeaderValue(flat[i]!, flat[i + 1]!)
  }
  return flat
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

function tlsSettings(opts: RequestOptions, defaults: ClientDefaults): TlsSettings | null {
  const verify = opts.verify ?? defaults.verifySsl
  if (verify && opts.tls === undefined && opts.fingerprint === undefined) return null
  let fingerprint: string | null = null
  if (opts.fingerprint !== undefined) {
    fingerprint = String(opts.fingerprint).replace(/:/g, '').toLowerCase()
    if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new InvalidArgumentError('fingerprint must be a sha256 hex digest (64 hex chars)')
  }
  const options = opts.tls ?? null
  const key = `|v=${verify ? 1 : 0}|fp=${fingerprint ?? ''}|tls=${options === null ? '' : tlsOptionsKey(options)}`
  return { rejectUnauthorized: verify, options, fingerprint, key }
}

/** Content keys of tls options objects seen before (an object is hashed once). */
const tlsKeys = new WeakMap<object, string>()
/** Identity ids of what has no content to compare (functions, SecureContext, KeyObject, …). */
const identities = new WeakMap<object, number>()
let nextIdentity = 1

/**
 * Content key of a tls options object: two objects with the same CA, cert, key and settings
 * share pools and TLS sessions; a fresh `{ ca }` per request no longer opens a new pool each time.
 * Strings, numbers, booleans, bytes, arrays and plain objects count by content; functions and
 * other objects by identity. An object is hashed on first use: mutate a copy, not the original.
 */
function tlsOptionsKey(options: object): string {
  let key = tlsKeys.get(options)
  if (key === undefined) {
    const hash = createHash('sha256')
    feedKey(hash, options)
    key = hash.digest('base64url')
    tlsKeys.set(options, key)
  }
  return key
}

function feedKey(hash: Hash, v: unknown): void {
  if (v === undefined || v === null) hash.update('n;')
  else if (typeof v === 'string') hash.update(`s${v.length}:`).update(v)
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') hash.update(`${typeof v}:${String(v)};`)
  else if (ArrayBuffer.isView(v)) hash.update(`b${v.byteLength}:`).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
  else if (Array.isArray(v)) {
    hash.update(`a${v.length}[`)
    for (const x of v) feedKey(hash, x)
    hash.update(']')
  } else if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const rec = v as Record<string, unknown>
    const names = Object.keys(rec).filter((k) => rec[k] !== undefined).sort()
    hash.update(`o${names.length}{`)
    for (const k of names) {
      hash.update(`${k.length}:${k}`)
      feedKey(hash, rec[k])
    }
    hash.update('}')
  } else {
    const obj = v as object
    let id = identities.get(obj)
    if (id === undefined) {
      id = nextIdentity++
      identities.set(obj, id)
    }
    hash.update(`i${id};`)
  }
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

/** Normalises one request. Returns a promise only when the body needs async work. */
export function prepareRequest(
  input: RequestInput,
  opts: RequestOptions,
  defaults: ClientDefaults,
): PreparedRequest | Promise<PreparedRequest> {
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

  const prep: PreparedRequest = {
    target,
    method,
    headers,
    body: null,
    replayable: true,
    timeouts: opts.timeouts === undefined ? defaults.timeouts : Timeouts.from(opts.timeouts, defaults.timeouts),
    signal,
    follow: opts.follow ?? false,
    maxRedirects,
    tls: target.https ? tlsSettings(opts, defaults) : null,
    expectContinue: opts.expect100 === true,
    compress,
    onUploadProgress: opts.onUploadProgress ?? null,
    onDownloadProgress: opts.onDownloadProgress ?? null,
    http2: opts.http2 ?? defaults.http2,
    limits:
      opts.maxResponseSize === undefined && opts.maxDecompressionRatio === undefined ? defaults.limits : bodyLimits(opts, defaults.limits),
  }
  if (opts.data == null && opts.json === undefined) return prep
  const encoded = encodeBody(opts.data, opts.json, opts.jsonSerializer ?? JSON.stringify, opts.multipart === true)
  return encoded instanceof Promise ? encoded.then((e) => withBody(prep, e)) : withBody(prep, encoded)
}

function withBody(prep: PreparedRequest, encoded: EncodedBody): PreparedRequest {
  prep.body = encoded.body
  prep.replayable = encoded.replayable
  if (encoded.contentType !== null && !hasHeader(prep.headers, 'content-type')) {
    prep.headers = [...prep.headers, 'content-type', encoded.contentType]
  }
  return prep
}
