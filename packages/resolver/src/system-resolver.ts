import { promises as dns } from 'node:dns'
import { ClientClosedError, InvalidArgumentError } from '@sonic/core'
import type { AddressFamily, ResolvedAddress, Resolver } from './resolver.js'
import { literalAnswer, noAddressError, parseQuery, sortByFamily, toDnsError } from './query.js'

/** Options of SystemResolver. */
export interface SystemResolverOptions {
  /**
   * Order of the addresses when both families are returned: `'verbatim'` keeps the OS order
   * (getaddrinfo's RFC 6724 sorting); `'ipv4first'` / `'ipv6first'` put one family first.
   * @default 'verbatim'
   */
  order?: 'verbatim' | 'ipv4first' | 'ipv6first'
}

/**
 * Resolves names with the operating system's resolver (`getaddrinfo` through `dns.lookup`), so
 * `/etc/hosts`, nsswitch and mDNS work exactly as for other programs. Runs on libuv's thread pool.
 *
 * @example
 * const resolver = new SystemResolver()
 * const [first] = await resolver.resolve('localhost', 8080)
 * // { hostname: 'localhost', host: '127.0.0.1', port: 8080, family: 4 }
 */
export class SystemResolver implements Resolver {
  readonly #order: 'verbatim' | 'ipv4first' | 'ipv6first'
  #closed = false

  constructor(options: SystemResolverOptions = {}) {
    const order = options.order ?? 'verbatim'
    if (order !== 'verbatim' && order !== 'ipv4first' && order !== 'ipv6first') {
      throw new InvalidArgumentError(`order must be 'verbatim', 'ipv4first' or 'ipv6first', got ${String(order)}`)
    }
    this.#order = order
  }

  async resolve(host: string, port = 0, family: AddressFamily = 0): Promise<ResolvedAddress[]> {
    const q = parseQuery(host, port, family)
    if (this.#closed) throw new ClientClosedError('The resolver is closed')
    if (q.ip !== null) return literalAnswer(q)
    let found: { address: string; family: number }[]
    try {
      found = await dns.lookup(q.name, { all: true, family: q.family, verbatim: true })
    } catch (err) {
      throw toDnsError(q.hostname, err)
    }
    const out: ResolvedAddress[] = []
    for (const a of found) {
      if (a.family === 4 || a.family === 6) {
        out.push(Object.freeze({ hostname: q.hostname, host: a.address, port: q.port, family: a.family }))
      }
    }
    if (out.length === 0) throw noAddressError(q.hostname, q.family)
    return this.#order === 'verbatim' ? out : sortByFamily(out, this.#order)
  }

  /** Marks the resolver closed (OS lookups cannot be cancelled; running ones still finish). */
  async close(): Promise<void> {
    this.#closed = true
  }
}
