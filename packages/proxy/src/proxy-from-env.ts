// Proxies from the environment, read once: HTTP_PROXY / HTTPS_PROXY / ALL_PROXY (and their lower-case
// forms) pick the proxy by the URL's scheme, NO_PROXY (no-proxy.ts) says which hosts go direct.
// The proxies are made when proxyFromEnv() is called, so every request of one client shares the
// same HttpProxy or SocksProxy object (the same pool key).
import { InvalidArgumentError } from '@sonic/core'
import { HttpProxy } from './http-proxy.js'
import { NoProxy } from './no-proxy.js'
import { SocksProxy } from './socks-proxy.js'

/**
 * Picks the proxy for a request URL, or null to connect directly. The `proxy` option of the client
 * accepts one.
 */
export type ProxyResolver = (url: string | URL) => HttpProxy | SocksProxy | null

/** Environment variables, as `process.env` holds them. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>

/**
 * Reads the proxy environment variables once and returns a resolver for request URLs.
 *
 * - `http:` and `ws:` URLs: `http_proxy`, else `HTTP_PROXY`, else `all_proxy` / `ALL_PROXY`.
 * - `https:` and `wss:` URLs: `https_proxy`, else `HTTPS_PROXY`, else `all_proxy` / `ALL_PROXY`.
 * - The lower-case form wins when both are set, as in curl; empty values count as unset.
 *   Unlike curl, upper-case `HTTP_PROXY` is honoured — except when `REQUEST_METHOD` is set: in a
 *   CGI program `HTTP_PROXY` may come from a request's `Proxy:` header ("httpoxy"), so there it is
 *   ignored, as Go and Python's requests do.
 * - Values: `http://`, `https://`, `socks5://`, `socks5h://`, `socks4://`, `socks4a://` URLs
 *   (credentials as userinfo), or a bare `host:port`, which means `http://host:port`.
 * - `no_proxy` / `NO_PROXY`: see {@link NoProxy} (`*`, hosts and domain suffixes with an optional
 *   port, IP addresses and CIDR ranges).
 *
 * A value that is no usable proxy URL → InvalidArgumentError naming the variable (rather than
 * sending the traffic direct). Other schemes than the four above get null.
 *
 * @param env where to read the variables from
 * @default env process.env
 * @example
 * const resolve = proxyFromEnv({ HTTPS_PROXY: 'socks5h://127.0.0.1:1080', NO_PROXY: 'localhost,.internal' })
 * resolve('https://example.com/')      // the SocksProxy
 * resolve('https://api.internal/')     // null: direct
 * resolve('http://example.com/')       // null: no proxy for http
 */
export function proxyFromEnv(env: ProxyEnv = process.env): ProxyResolver {
  if (env === null || typeof env !== 'object') throw new InvalidArgumentError('proxyFromEnv() needs an object of environment variables')
  const cgi = value(env, 'REQUEST_METHOD') !== null
  const all = proxyFrom(env, 'all_proxy', 'ALL_PROXY', false)
  const http = proxyFrom(env, 'http_proxy', 'HTTP_PROXY', cgi) ?? all
  const https = proxyFrom(env, 'https_proxy', 'HTTPS_PROXY', false) ?? all
  if (http === null && https === null) return () => null
  const noProxy = new NoProxy(value(env, 'no_proxy') ?? value(env, 'NO_PROXY'))
  if (noProxy.all) return () => null

  return (url: string | URL): HttpProxy | SocksProxy | null => {
    const parsed = toUrl(url)
    let proxy: HttpProxy | SocksProxy | null
    let port: number
    switch (parsed.protocol) {
      case 'http:':
      case 'ws:':
        proxy = http
        port = 80
        break
      case 'https:':
      case 'wss:':
        proxy = https
        port = 443
        break
      default:
        return null
    }
    if (proxy === null) return null
    if (parsed.port !== '') port = Number(parsed.port)
    return noProxy.matches(parsed.hostname, port) ? null : proxy
  }
}

/** The variable's value, trimmed; null when unset or empty. */
function value(env: ProxyEnv, name: string): string | null {
  const v = env[name]
  if (typeof v !== 'string') return null
  const trimmed = v.trim()
  return trimmed === '' ? null : trimmed
}

function proxyFrom(env: ProxyEnv, lower: string, upper: string, ignoreUpper: boolean): HttpProxy | SocksProxy | null {
  let name = lower
  let v = value(env, lower)
  if (v === null && !ignoreUpper) {
    name = upper
    v = value(env, upper)
  }
  if (v === null) return null
  // A bare host:port (no scheme) is an HTTP proxy, as in curl.
  const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v) ? v : `http://${v}`
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase()
  try {
    if (scheme === 'http' || scheme === 'https') return new HttpProxy(url)
    if (scheme === 'socks5' || scheme === 'socks5h' || scheme === 'socks4' || scheme === 'socks4a') return new SocksProxy(url)
  } catch (err) {
    throw new InvalidArgumentError(`${name} is not a usable proxy URL: ${(err as Error).message}`, { cause: err })
  }
  throw new InvalidArgumentError(`${name} names an unsupported proxy scheme ${JSON.stringify(`${scheme}:`)} (http, https, socks5, socks5h, socks4 and socks4a are)`)
}

function toUrl(url: string | URL): URL {
  if (url instanceof URL) return url
  try {
    return new URL(url)
  } catch (err) {
    throw new InvalidArgumentError(`Invalid URL: ${JSON.stringify(String(url))}`, { cause: err })
  }
}
