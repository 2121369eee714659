// The contract every resolver implements, and the shape of one answer.

/** One address a host name resolved to. */
export interface ResolvedAddress {
  /** The name that was asked for, as the caller spelled it. */
  readonly hostname: string
  /** The IP address (no brackets, e.g. `'127.0.0.1'` or `'::1'`). */
  readonly host: string
  /** The port the caller asked for (0 when none was given). */
  readonly port: number
  /** 4 for IPv4, 6 for IPv6. */
  readonly family: 4 | 6
  /**
   * How long (ms) the answer may be cached, when the resolver knows it (CaresResolver reads it
   * from the DNS record's TTL). Absent for the OS resolver and for IP literals.
   */
  readonly ttl?: number
}

/** Which addresses to return: 0 = both families, 4 = IPv4 only, 6 = IPv6 only. */
export type AddressFamily = 0 | 4 | 6

/** Turns a host name into addresses. Implemented by SystemResolver, CaresResolver, CachingResolver. */
export interface Resolver {
  /**
   * Resolves `host` (a name or an IP literal, with or without brackets) to one or more addresses.
   * Rejects with `DnsError` when the name has no address of the wanted family, and with
   * `InvalidArgumentError` on bad input.
   */
  resolve(host: string, port?: number, family?: AddressFamily): Promise<ResolvedAddress[]>
  /** Releases the resolver's resources; later calls to `resolve` reject with `ClientClosedError`. */
  close(): Promise<void>
}

/** How addresses of both families are ordered in an answer. */
export type AddressOrder = 'ipv4first' | 'ipv6first'
