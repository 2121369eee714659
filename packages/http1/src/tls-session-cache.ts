// A small LRU of TLS session tickets, so a new connection to an origin we talked to before can
// resume its TLS session (one round trip less, no certificate chain on the wire).

/**
 * Remembers the last TLS session of each origin (key: origin + SNI name) for resumption.
 * Least recently used entries are dropped past `max`.
 *
 * @example
 * const tlsSessionCache = new TlsSessionCache()
 * const a = await connectHttp1({ protocol: 'https:', hostname: 'example.com', port: 443, tlsSessionCache })
 * const b = await connectHttp1({ protocol: 'https:', hostname: 'example.com', port: 443, tlsSessionCache })
 * b.socket.isSessionReused() // true when the server accepted the ticket
 */
export class TlsSessionCache {
  readonly #max: number
  readonly #map = new Map<string, Buffer>()

  /**
   * @param max how many origins to remember
   * @default 100
   */
  constructor(max = 100) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`TlsSessionCache max must be a positive integer, got ${String(max)}`)
    this.#max = max
  }

  /** Number of sessions held. */
  get size(): number {
    return this.#map.size
  }

  /** The session stored for `key`, marking it recently used. */
  get(key: string): Buffer | undefined {
    const session = this.#map.get(key)
    if (session !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, session)
    }
    return session
  }

  /** Stores (or replaces) the session for `key`, evicting the least recently used past `max`. */
  set(key: string, session: Buffer): void {
    this.#map.delete(key)
    this.#map.set(key, session)
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as string
      this.#map.delete(oldest)
    }
  }

  /** Forgets the session of `key` (e.g. after a failed resumption). */
  delete(key: string): void {
    this.#map.delete(key)
  }

  /** Forgets every session. */
  clear(): void {
    this.#map.clear()
  }
}
