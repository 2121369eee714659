// A small LRU of TLS sessions, so a new connection to a host we talked to before can resume its
// TLS session (one round trip less, no certificate chain on the wire).
import { InvalidArgumentError } from '@sonic/core'

/**
 * Remembers the last TLS session per key for resumption; least recently used entries are dropped
 * past `max`. The transports key it by host:port, SNI name, verification mode, pin and the
 * content of the TLS options, so a session is only offered where it was made under the same trust.
 *
 * @example
 * const tlsSessionCache = new TlsSessionCache(500)
 * const transport = new TcpTransport({ tlsSessionCache })
 * const a = await transport.connect({ protocol: 'https:', hostname: 'example.com', port: 443 })
 * const b = await transport.connect({ protocol: 'https:', hostname: 'example.com', port: 443 })
 * ;(b.socket as TLSSocket).isSessionReused() // true once a's session ticket had arrived
 */
export class TlsSessionCache {
  readonly #max: number
  readonly #map = new Map<string, Buffer>()

  /**
   * @param max how many sessions to remember → InvalidArgumentError unless a positive integer
   * @default 100
   */
  constructor(max = 100) {
    if (!Number.isInteger(max) || max < 1) throw new InvalidArgumentError(`TlsSessionCache max must be a positive integer, got ${String(max)}`)
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
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as string)
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
