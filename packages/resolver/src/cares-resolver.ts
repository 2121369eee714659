import { promises as dns } from 'node:dns'
import { ClientClosedError, InvalidArgumentError } from '@sonic/core'
import type { AddressFamily, AddressOrder, ResolvedAddress, Resolver } from './resolver.js'
import { isLocalhost, literalAnswer, localhostAnswer, noAddressError, parseQuery, sortByFamily, toDnsError } from './query.js'
import { parseNameserver } from './nameserver.js'

/** Options of CaresResolver. */
export interface CaresResolverOptions {
  /**
   * DNS servers to ask, in order: `'ip'`, `'ip:port'` or `'[ipv6]:port'`. When absent, the
   * servers of the system configuration (`/etc/resolv.conf`) are used.
   * @default undefined
   * @example ['127.0.0.1:5353', '[::1]:53', '1.1.1.1']
   */
  nameservers?: readonly string[]
  /**
   * Time (ms) to wait for an answer on each try.
   * @default 2000
   */
  timeout?: number
  /**
   * Tries per nameserver before giving up. A lookup never takes longer than `timeout * tries`.
   * @default 2
   */
  tries?: number
  /**
   * Which family comes first when both are returned.
   * @default 'ipv4first'
   */
  order?: AddressOrder
}

type DnsRecord = { address: string; ttl: number }

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(v)}`)
  }
  return v
}

function errCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
}

/**
 * Asks DNS servers directly through c-ares (node's `dns.Resolver`): A and AAAA queries in
 * parallel, record TTLs kept in the answer. The hosts file is not read; `localhost` and IP
 * literals are answered without a query.
 *
 * @example
 * const resolver = new CaresResolver({ nameservers: ['127.0.0.1:5353'], timeout: 500, tries: 2 })
 * const addresses = await resolver.resolve('service.internal', 443)
 */
export class CaresResolver implements Resolver {
  readonly #servers: string[] | null
  readonly #timeout: number
  readonly #tries: number
  readonly #order: AddressOrder
  readonly #channels = new Set<dns.Resolver>()
  #closed = false

  constructor(options: CaresResolverOptions = {}) {
    if (options.nameservers !== undefined && !Array.isArray(options.nameservers)) {
      throw new InvalidArgumentError('nameservers must be an array of strings')
    }
    this.#servers = options.nameservers?.length ? options.nameservers.map(parseNameserver) : null
    this.#timeout = options.timeout === undefined ? 2000 : positiveInt('timeout', options.timeout)
    this.#tries = options.tries === undefined ? 2 : positiveInt('tries', options.tries)
    const order = options.order ?? 'ipv4first'
    if (order !== 'ipv4first' && order !== 'ipv6first') {
      throw new InvalidArgumentError(`order must be 'ipv4first' or 'ipv6first', got ${String(order)}`)
    }
    this.#order = order
  }

  async resolve(host: string, port = 0, family: AddressFamily = 0): Promise<ResolvedAddress[]> {
    const q = parseQuery(host, port, family)
    if (this.#closed) throw new ClientClosedError('The resolver is closed')
    if (q.ip !== null) return literalAnswer(q)
    if (isLocalhost(q.name)) return localhostAnswer(q, this.#order)

    // One c-ares channel per lookup: cancel() acts on a whole channel, and it is the only way to
    // hold the `timeout * tries` bound (c-ares backs off between tries and may take longer).
    const channel = new dns.Resolver({ timeout: this.#timeout, tries: this.#tries })
    if (this.#servers !== null) channel.setServers(this.#servers)
    this.#channels.add(channel)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      channel.cancel()
    }, this.#timeout * this.#tries)
    let results: PromiseSettledResult<DnsRecord[] | null>[]
    try {
      results = await Promise.allSettled([
        q.family !== 6 ? channel.resolve4(q.name, { ttl: true }) : null,
        q.family !== 4 ? channel.resolve6(q.name, { ttl: true }) : null,
      ])
    } finally {
      clearTimeout(timer)
      this.#channels.delete(channel)
    }

    const out: ResolvedAddress[] = []
    const errors: unknown[] = []
    results.forEach((r, i) => {
      if (r.status === 'rejected') return void errors.push(r.reason)
      const fam = i === 0 ? 4 : 6
      for (const rec of r.value ?? []) {
        out.push(Object.freeze({ hostname: q.hostname, host: rec.address, port: q.port, family: fam, ttl: rec.ttl * 1000 }))
      }
    })
    if (out.length > 0) return sortByFamily(out, this.#order)
    if (this.#closed && errors.some((e) => errCode(e) === 'ECANCELLED')) {
      throw new ClientClosedError('The resolver was closed during the lookup', { cause: errors[0] })
    }
    if (timedOut) {
      const cause = Object.assign(new Error(`query ETIMEOUT ${q.name}`), { code: 'ETIMEOUT', hostname: q.name })
      throw toDnsError(q.hostname, cause)
    }
    // Prefer the error that explains the failure (NXDOMAIN, refused, …) over "no data".
    const cause = errors.find((e) => errCode(e) !== 'ENODATA') ?? errors[0]
    if (cause === undefined || errCode(cause) === 'ENODATA') throw noAddressError(q.hostname, q.family, cause)
    throw toDnsError(q.hostname, cause)
  }

  /** Cancels pending lookups (they reject with ClientClosedError); later calls reject too. */
  async close(): Promise<void> {
    this.#closed = true
    for (const channel of this.#channels) channel.cancel()
    this.#channels.clear()
  }
}
