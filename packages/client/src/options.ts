// Public option shapes of HTTPClient and request(). Normalised once by normalize-request.ts.
import type { HeadersInit, HttpHeaders, Progress, Timeouts, TimeoutsInit } from '@sonic/core'
import type { MultipartForm } from '@sonic/multipart'
import type { Readable } from 'node:stream'
import type { ConnectionOptions } from 'node:tls'
import type { ProxyInit } from './proxy-option.js'
import type { RetryInit } from './retry.js'

/** Query parameters in any accepted form; a string is a raw query, appended as it is. */
export type ParamsInit =
  | string
  | Record<string, string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>>
  | ReadonlyArray<readonly [string, string]>
  | URLSearchParams

/** Everything `data` may be. */
export type RequestData =
  | string
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>
  | URLSearchParams
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | Readable
  | Blob
  | MultipartForm
  | FormData

/** Basic auth credentials. */
export type AuthInit = { username: string; password: string } | string

export interface RequestOptions {
  /**
   * HTTP method.
   * @default 'GET'
   */
  method?: string
  /** Request headers; merged over the client's default headers (case-insensitively). */
  headers?: HeadersInit
  /** Query parameters appended to the URL. Arrays repeat the key. */
  params?: ParamsInit
  /**
   * Request body. Plain objects and URLSearchParams are sent urlencoded (multipart with
   * `multipart: true`); iterables, async iterables and Readables stream with chunked encoding.
   */
  data?: RequestData | null
  /** A JSON value to send; sets `content-type: application/json`. */
  json?: unknown
  /**
   * Serialises `json`.
   * @default JSON.stringify
   */
  jsonSerializer?: (value: unknown) => string
  /**
   * Send a plain-object `data` as multipart/form-data instead of urlencoded.
   * @default false
   */
  multipart?: boolean
  /** Basic auth: `{ username, password }` or `'user:pass'`. */
  auth?: AuthInit
  /** Per-request override of the client's `verifySsl`. */
  verify?: boolean
  /** Extra TLS options (ca, cert, key, servername, …). */
  tls?: ConnectionOptions
  /** sha256 hex of the server certificate's DER; a mismatch → FingerprintMismatchError. */
  fingerprint?: string
  /** Timeouts (ms); a plain object overrides only the fields it sets. */
  timeouts?: Timeouts | TimeoutsInit
  /**
   * Follow redirects.
   * @default false
   */
  follow?: boolean
  /** @default the client's maxRedirects (5) */
  maxRedirects?: number
  /**
   * HTTP/2 for this request (wins over the client's and the connector's): true offers h2 by ALPN
   * on https: (HTTP/1.1 when the server does not pick it) and speaks h2c on http:; 'auto' is true
   * for https: only.
   * @default the client's http2 (false)
   */
  http2?: boolean | 'auto'
  /** Aborts the request (and the body read) → AbortError. */
  signal?: AbortSignal | null
  /**
   * Compress the request body and set Content-Encoding.
   * @default false
   */
  compress?: 'gzip' | 'deflate' | false
  /**
   * Send `Expect: 100-continue` and wait for the server before sending the body.
   * @default false
   */
  expect100?: boolean
  /** Called as body bytes are sent. */
  onUploadProgress?: (progress: Progress) => void
  /** Called as response body bytes arrive. */
  onDownloadProgress?: (progress: Progress) => void
  /** @default the client's maxResponseSize (null: no limit) */
  maxResponseSize?: number | null
  /** @default the client's maxDecompressionRatio (1000) */
  maxDecompressionRatio?: number | null
  /**
   * This request's proxy (wins over the client's): an HttpProxy or SocksProxy, a proxy URL
   * ('http://user:pass@host:3128', 'socks5://…'), 'env', a function of the URL, or null for none.
   * @default the client's proxy
   */
  proxy?: ProxyInit
  /**
   * A status ≥ 400 → HttpStatusError (with the response, body unread: read or release it).
   * @default the client's raiseForStatus (false)
   */
  raiseForStatus?: boolean
  /**
   * Retries: options, a limit, true (the defaults) or false / 0 (off).
   * @default the client's retry (off)
   */
  retry?: RetryInit
  /**
   * Undo Content-Encoding; false leaves the body as received.
   * @default the client's decompress (true)
   */
  decompress?: boolean
  /** Cookies of this request alone (name → value), sent with the client's and the jar's. */
  cookies?: CookiesInit
}

/** Cookies as name → value. */
export type CookiesInit = Record<string, string | number | boolean>

/** Options of request() and its shortcuts, plus the URL. */
export type RequestInput = string | URL

export type { HttpHeaders }
