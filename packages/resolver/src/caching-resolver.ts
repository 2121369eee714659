import { performance } from 'node:perf_hooks'
import { InvalidArgumentError } from '@sonic/core'
import type { AddressFamily, ResolvedAddress, Resolver } from './resolver.js'
import { parseQuery } from './query.js'

/** Options of CachingResolver. */
export interface CachingResolverOptions {
  /**
   * Longest time (ms) an answer is kept. When the answer carries record TTLs (CaresResolver),
   * the shortest of them wins if it is shorter. 0 keeps nothing (lookups are still shared).
   * @default 10000
   */
  ttl?: number
  /**
   * When false, every call goes straight to the inner resolver (no cache, no sharing).
   * @default true
   */
  enabled?: boolean
}

/** One query in flight; its identity tells whether clear() detached it meanwhile. */
interface Flight {
  promise: Promise<readonly ResolvedAddress[]>
}

interface Entry {
  readonly host: string
  readonly addresses: readonly ResolvedAddress[]
  readonly expires: number
}

/**
 * Caches the answers of another resolver for `ttl` ms (or less, when the DNS records say so).
 * Concurrent lookups of the same name share one query; failures are not cached.
 *
 * @example
 * const resolver = new CachingResolver(new SystemResolver(), { ttl: 30_000 })
 * await resolver.resolve('example.com', 443) // asks the OS
 * await resolver.resolve('example.com', 443) // from the cache
 * resolver.cachedHosts // ['example.com']
 * resolver.clear('example.com')
 */
export class CachingResolver implements Resolver {
  readonly #inner: Resolver
  readonly #ttl: number
  readonly #enabled: boolean
  readonly #cache = new Map<string, Entry>()
  readonly #inflight = new Map<string, Flight>()

  constructor(inner: Resolver, options: CachingResolverOptions = {}) {
    if (inner === null || typeof inner !== 'object' || typeof inner.resolve !== 'function') {
      throw new InvalidArgumentError('CachingResolver needs a Resolver to wrap')
    }
    const ttl = options.ttl ?? 10000
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
      throw new InvalidArgumentError(`ttl must be a non-negative number of ms, got ${String(ttl)}`)
    }
    this.#inner = inner
    this.#ttl = ttl
    this.#enabled = options.enabled ?? true
  }

  /** The resolver this one asks on a cache miss. */
  get inner(): Resolver {
    return this.#inner
  }

  async resolve(host: string, port = 0, family: AddressFamily = 0): Promise<ResolvedAddress[]> {
    const q = parseQuery(host, port, family)
    if (!this.#enabled || q.ip !== null) return this.#inner.resolve(host, port, family)
    const name = normalize(q.name)
    const key = `${q.family}|${name}`
    const hit = this.#cache.get(key)
    if (hit !== undefined) {
      if (hit.expires > performance.now()) return rebind(hit.addresses, q.hostname, q.port)
      this.#cache.delete(key)
    }
    let flight = this.#inflight.get(key)
    if (flight === undefined) {
      flight = { promise: Promise.resolve([]) }
      this.#inflight.set(key, flight)
      flight.promise = this.#lookup(key, name, q.name, q.family, flight)
    }
    return rebind(await flight.promise, q.hostname, q.port)
  }

  async #lookup(key: string, host: string, name: string, family: AddressFamily, self: Flight): Promise<readonly ResolvedAddress[]> {
    try {
      const addresses = await this.#inner.resolve(name, 0, family)
      // A clear() while the query was in flight detaches it: its answer is returned, not kept.
      if (this.#inflight.get(key) === self) {
        let ttl = this.#ttl
        for (const a of addresses) if (a.ttl !== undefined && a.ttl < ttl) ttl = a.ttl
        if (ttl > 0) this.#cache.set(key, { host, addresses, expires: performance.now() + ttl })
      }
      return addresses
    } finally {
      if (this.#inflight.get(key) === self) this.#inflight.delete(key)
    }
  }

  /** Forgets the answers for `host` (all families), or everything when no host is given. */
  clear(host?: string): void {
    if (host === undefined) {
      this.#cache.clear()
      this.#inflight.clear()
      return
    }
    const name = normalize(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)
    for (const family of [0, 4, 6]) {
      this.#cache.delete(`${family}|${name}`)
      this.#inflight.delete(`${family}|${name}`)
    }
  }

  /** Host names (lower-case) with an unexpired answer in the cache. */
  get cachedHosts(): string[] {
    const now = performance.now()
    const hosts = new Set<string>()
    for (const [key, entry] of this.#cache) {
      if (entry.expires > now) hosts.add(entry.host)
      else this.#cache.delete(key)
    }
    return [...hosts]
  }

  /** Empties the cache and closes the inner resolver. */
  async close(): Promise<void> {
    this.clear()
    await this.#inner.close()
  }
}

function normalize(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/** Copies cached addresses with the caller's spelling of the name and port. */
function rebind(addresses: readonly ResolvedAddress[], hostname: string, port: number): ResolvedAddress[] {
  const out: ResolvedAddress[] = new Array(addresses.length)
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i] as ResolvedAddress
    out[i] = Object.freeze(
      a.ttl === undefined
        ? { hostname, host: a.host, port, family: a.family }
        : { hostname, host: a.host, port, family: a.family, ttl: a.ttl },
    )
  }
  return out
}
