// Which values the client's `proxy` option takes as a proxy (rather than a URL string, 'env' or a
// resolver function): an HttpProxy or a SocksProxy. Both carry `key` (pool identity) and
// `tunnel(inner)` (a Transport through the proxy).
import { HttpProxy } from './http-proxy.js'
import { SocksProxy } from './socks-proxy.js'

/**
 * True for an HttpProxy or a SocksProxy of this package.
 *
 * @example
 * isProxy(new HttpProxy('http://127.0.0.1:3128')) // true
 * isProxy('http://127.0.0.1:3128') // false: a URL, not a proxy yet
 */
export function isProxy(value: unknown): value is HttpProxy | SocksProxy {
  return value instanceof HttpProxy || value instanceof SocksProxy
}
