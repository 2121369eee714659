// The `proxy` option, normalised once: a proxy object, a proxy URL, 'env' (HTTP_PROXY, HTTPS_PROXY,
// ALL_PROXY, NO_PROXY, read when the client is made) or a function of the URL — all become one
// `(url) => proxy | null` the request's normalisation calls for each hop.
import { InvalidArgumentError } from '@sonic/core'
import { HttpProxy, SocksProxy, isProxy, proxyFromEnv } from '@sonic/proxy'

/** A proxy the agent can use. */
export type Proxy = HttpProxy | SocksProxy

/** What the `proxy` option accepts. */
export type ProxyInit = Proxy | string | ((url: string) => Proxy | null) | null

/** The proxy for a URL, or null for a direct connection. */
export type ProxyFor = (url: string) => Proxy | null

/** The proxy of a URL string: socks schemes → SocksProxy, http(s) → HttpProxy. */
export function proxyOfUrl(url: string): Proxy {
  if (/^socks(4a?|5h?):\/\//i.test(url)) return new SocksProxy(url)
  return new HttpProxy(url)
}

/**
 * `init` as a ProxyFor; null when there is no proxy. A string or an object is checked here (a bad
 * URL → InvalidArgumentError when the client or request is made, not at the first connect).
 */
export function proxyForOf(init: ProxyInit | undefined, made?: Map<string, Proxy>): ProxyFor | null {
  if (init === undefined || init === null) return null
  if (init === 'env') return proxyFromEnv()
  if (typeof init === 'string') {
    let proxy = made?.get(init)
    if (proxy === undefined) {
      proxy = proxyOfUrl(init)
      if (made !== undefined) {
        if (made.size >= 64) made.clear()
        made.set(init, proxy)
      }
    }
    const fixed = proxy
    return () => fixed
  }
  if (isProxy(init)) return () => init
  if (typeof init === 'function') {
    return (url) => {
      const p = init(url)
      if (p !== null && p !== undefined && !isProxy(p)) throw new InvalidArgumentError('A proxy function must return an HttpProxy, a SocksProxy or null')
      return p ?? null
    }
  }
  throw new InvalidArgumentError("proxy must be an HttpProxy, a SocksProxy, a proxy URL, 'env', a function of the URL or null")
}
