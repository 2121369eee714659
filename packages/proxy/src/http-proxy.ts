// An HTTP or HTTPS forward proxy, described once: where it is (a TransportTarget), who we are to it
// (Basic credentials), and an identity for pool keys. Everything is checked and frozen here, at
// the public edge; the tunnel (http-tunnel.ts) and the client's forward mode work from the result.
import { createHash } from 'node:crypto'
import { InvalidArgumentError, type TlsOptions } from '@sonic/core'
import { tlsOptionsKey, type Transport, type TransportTarget } from '@sonic/transport'
import { HttpTunnel } from './http-tunnel.js'

/** Options of an HTTP(S) proxy. */
export interface ProxyOptions {
  /**
   * Basic credentials for the proxy (`Proxy-Authorization`, never sent to the target):
   * `'user:pass'` or `{ username, password }`. Wins over userinfo in the proxy URL.
   * @default the URL's percent-decoded userinfo, else none
   * @example new HttpProxy('http://proxy:3128', { auth: { username: 'me', password: 's3cret' } })
   */
  auth?: string | { username: string; password?: string }
  /**
   * TLS settings for the connection to an `https://` proxy itself (CA, client certificate,
   * `verify`, `fingerprint`, …). Not used for the target behind the proxy: that one's TLS comes
   * from the request. Ignored for an `http://` proxy.
   * @default null
   * @example new HttpProxy('https://proxy.internal:8443', { tls: { ca: readFileSync('proxy-ca.pem') } })
   */
  tls?: TlsOptions
}

/**
 * An HTTP (`http://`) or HTTPS (`https://`, TLS to the proxy) forward proxy.
 *
 * http:// targets go to it in absolute form (the client adds `forwardHeaders` and sends
 * `GET http://host/path` on a connection to `target`); everything else goes through `tunnel()`:
 * `CONNECT host:port`, then TLS to the target inside the tunnel.
 *
 * @example
 * const proxy = new HttpProxy('http://user:pass@127.0.0.1:3128')
 * const transport = proxy.tunnel(new TcpTransport())
 * const { socket, alpn } = await transport.connect({ protocol: 'https:', hostname: 'example.com', port: 443, alpn: ['h2', 'http/1.1'] })
 */
export class HttpProxy {
  /** The proxy's URL without credentials, path or query: `'http://127.0.0.1:3128'`. */
  readonly url: string
  /**
   * Identity for pool keys: `url` plus a sha256 of the credentials and the TLS options' content.
   * Two proxies with the same URL, credentials and TLS settings have the same key.
   */
  readonly key: string
  /** How to reach the proxy itself (TLS for an `https://` proxy). */
  readonly target: TransportTarget
  /**
   * Headers to add to requests sent to the proxy in absolute form, flat `[name, value]`:
   * `['proxy-authorization', 'Basic …']` with credentials, else `[]`.
   */
  readonly forwardHeaders: readonly string[]
  /** The `Proxy-Authorization` value, or null without credentials. */
  readonly #authorization: string | null

  constructor(url: string | URL, options: ProxyOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('HttpProxy options must be an object')
    const parsed = parseProxyUrl(url)
    const https = parsed.protocol === 'https:'
    const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname
    const port = parsed.port === '' ? (https ? 443 : 80) : Number(parsed.port)
    const credentials = options.auth !== undefined ? authFromOption(options.auth) : authFromUrl(parsed)
    const tlsOptions = options.tls ?? null
    if (tlsOptions !== null && typeof tlsOptions !== 'object') throw new InvalidArgumentError('HttpProxy tls must be an object of TLS options')

    this.url = `${parsed.protocol}//${parsed.host}`
    this.#authorization = credentials === null ? null : `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`
    this.forwardHeaders = Object.freeze(this.#authorization === null ? [] : ['proxy-authorization', this.#authorization])
    this.target = Object.freeze({
      protocol: parsed.protocol as 'http:' | 'https:',
      hostname,
      port,
      tls: https ? tlsOptions : null,
      // The proxy is spoken to in HTTP/1.1 (CONNECT, absolute form), whatever the target negotiates.
      alpn: ['http/1.1'],
    })
    this.key = `${this.url}#${identityHash(credentials, https ? tlsOptions : null)}`
  }

  /**
   * A Transport that reaches each target through this proxy: it dials the proxy through `inner`
   * (TLS to the proxy for an `https://` proxy), sends `CONNECT host:port`, and on a 2xx hands
   * the tunnel over — with TLS to the target for `https:` targets (ALPN from `target.alpn`).
   * `target.timeoutMs` bounds all of it; `connect()` resolves with `proxied: true`.
   *
   * Errors: the inner transport's (ConnectError naming the proxy, DnsError), ProxyError (a
   * non-2xx answer: `status`, `headers`), ConnectError (the proxy hung up during CONNECT),
   * ConnectTimeoutError, AbortError, and startTls's errors for the target. The inner transport
   * stays the caller's to close.
   */
  tunnel(inner: Transport): Transport {
    if (inner === null || typeof inner !== 'object' || typeof inner.connect !== 'function') {
      throw new InvalidArgumentError('tunnel() needs a Transport (an object with connect(target, signal))')
    }
    return new HttpTunnel(this, inner, this.#authorization)
  }
}

function parseProxyUrl(url: string | URL): URL {
  let parsed: URL
  try {
    parsed = new URL(url instanceof URL ? url.href : url)
  } catch (err) {
    throw new InvalidArgumentError(`Invalid proxy URL: ${JSON.stringify(String(url))}`, { cause: err })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(`An HttpProxy URL must be http: or https:, got ${JSON.stringify(parsed.protocol)} (use SocksProxy for socks URLs)`)
  }
  if (parsed.hostname === '') throw new InvalidArgumentError(`The proxy URL ${JSON.stringify(String(url))} names no host`)
  return parsed
}

/** `user:pass` from the URL's percent-decoded userinfo, or null when it has none. */
function authFromUrl(url: URL): string | null {
  if (url.username === '' && url.password === '') return null
  try {
    return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  } catch (err) {
    throw new InvalidArgumentError('The proxy URL has malformed percent-encoding in its userinfo', { cause: err })
  }
}

function authFromOption(auth: ProxyOptions['auth']): string {
  if (typeof auth === 'string') return auth
  if (auth !== null && typeof auth === 'object' && typeof auth.username === 'string') {
    const { username, password = '' } = auth
    if (typeof password !== 'string') throw new InvalidArgumentError('auth.password must be a string')
    if (username.includes(':')) throw new InvalidArgumentError('auth.username cannot contain ":" (Basic authentication, RFC 7617)')
    return `${username}:${password}`
  }
  throw new InvalidArgumentError("auth must be 'user:pass' or { username, password }")
}

/** base64url sha256 of what makes two proxies at one URL different: credentials and TLS settings. */
function identityHash(credentials: string | null, tls: TlsOptions | null): string {
  const t = tls ?? {}
  // tlsOptionsKey leaves out the options a session key holds separately; they matter here too.
  const separate = JSON.stringify([t.servername ?? null, t.verify ?? null, t.rejectUnauthorized ?? null, t.fingerprint ?? null])
  return createHash('sha256')
    .update(credentials === null ? 'n;' : `s${Buffer.byteLength(credentials)}:${credentials}`)
    .update(`|${separate}|${tlsOptionsKey(tls)}`)
    .digest('base64url')
}
