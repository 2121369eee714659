// The transport contract: a Transport turns a target (scheme, host, port, TLS settings) into a
// connected socket and says what was negotiated on it. Protocols (HTTP/1.1, HTTP/2, WebSocket)
// take the socket from here; they never dial themselves.
import type { Duplex } from 'node:stream'

/** TLS settings of a target (node's tls options plus `fingerprint` and `verify`): core's type. */
export type { TlsOptions } from '@sonic/core'
import type { TlsOptions } from '@sonic/core'

/** Where to connect and how. */
export interface TransportTarget {
  /** `'https:'` layers TLS on the connection. */
  protocol: 'http:' | 'https:'
  /**
   * Host name or IP address (IPv6 with or without brackets). Also the default SNI name and part of
   * the TLS session key. A UnixTransport uses it only for SNI and the certificate check.
   */
  hostname: string
  /** TCP port (1-65535); for a UnixTransport it only names the origin. */
  port: number
  /**
   * TLS settings for `https:` (ignored for `http:`).
   * @default null
   */
  tls?: TlsOptions | null
  /**
   * ALPN protocols to offer, in order of preference (`['h2', 'http/1.1']` to let the server pick
   * HTTP/2). Without it `tls.ALPNProtocols`, else `['http/1.1']`.
   * @default ['http/1.1']
   */
  alpn?: string[]
  /**
   * Limit for the TCP connect and the TLS handshake together, in ms → `ConnectTimeoutError`;
   * `null` (or 0) for none. DNS resolution counts too.
   * @default 5000
   */
  timeoutMs?: number | null
}

/** A connected socket and what was negotiated on it. */
export interface Connected {
  /** The socket, ready for bytes: a `net.Socket`, or a `tls.TLSSocket` for `https:`. */
  socket: Duplex
  /** The protocol the server picked by ALPN; `null` for plain TCP or when none was agreed. */
  alpn: 'h2' | 'http/1.1' | null
  /** True when the socket reaches the host through a proxy (false for TcpTransport and UnixTransport). */
  proxied: boolean
  /**
   * When each phase of the connect ended (TcpTransport and UnixTransport set it; a transport
   * that does not know leaves it out).
   */
  timings?: ConnectTimings
}

/** When the phases of one connect ended, as `performance.now()` values (ms). */
export interface ConnectTimings {
  /** When the connect began. */
  readonly start: number
  /** DNS answered; null when no name was looked up (an IP literal, a unix socket). */
  readonly dns: number | null
  /** The TCP (or unix socket) connection was made. */
  readonly connect: number
  /** The TLS handshake was done; null for plain TCP. */
  readonly tls: number | null
}

/**
 * How bytes reach a host. `TcpTransport` and `UnixTransport` implement it; a proxy transport wraps
 * another one.
 *
 * @example
 * const { socket, alpn } = await transport.connect({ protocol: 'https:', hostname: 'example.com', port: 443, alpn: ['h2', 'http/1.1'] })
 */
export interface Transport {
  /**
   * Opens a connection; resolves once it can carry bytes (TCP connected; for `https:` the TLS
   * handshake done and the pinned fingerprint checked). Aborting `signal` → `AbortError`.
   */
  connect(target: TransportTarget, signal?: AbortSignal | null): Promise<Connected>
  /** Releases what the transport holds (resolver, TLS sessions); later connects reject. */
  close?(): Promise<void>
}
