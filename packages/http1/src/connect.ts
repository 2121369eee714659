// Opening the transport for an HTTP/1.1 connection: TCP, TLS (on TCP, a unix socket or a given
// tunnel socket) or a plain unix socket, bounded by a connect timeout and an AbortSignal. TLS
// offers ALPN http/1.1, sends SNI, resumes cached sessions and checks a pinned fingerprint
// before the connection is handed out, so no request byte reaches an unpinned server.
import { createHash } from 'node:crypto'
import * as net from 'node:net'
import type { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { AbortError, ConnectError, ConnectTimeoutError, DnsError, FingerprintMismatchError, InvalidArgumentError } from '@sonic/core'
import { Http1Connection } from './connection.js'
import type { TlsSessionCache } from './tls-session-cache.js'

/** Where and how to connect. */
export interface Http1ConnectOptions {
  /** Scheme of the origin: TLS for `https:`. */
  protocol: 'http:' | 'https:'
  /** Host to connect to; also the default SNI name and part of the TLS session cache key. */
  hostname: string
  /** TCP port. */
  port: number
  /**
   * Connect to this unix domain socket instead of `hostname:port` (TLS is layered on it for https).
   * @default null
   */
  socketPath?: string | null
  /** Custom DNS lookup (e.g. from @sonic/resolver), passed to net/tls.connect. */
  lookup?: net.LookupFunction
  /**
   * Happy Eyeballs: try IPv6 and IPv4 addresses in parallel-ish (RFC 8305).
   * @default true
   */
  autoSelectFamily?: boolean
  /**
   * Address family to resolve `hostname` to; 0 for both.
   * @default 0
   */
  family?: 0 | 4 | 6
  /** Local address to bind the socket to. */
  localAddress?: string
  /**
   * Limit for the TCP connection and the TLS handshake, in ms; null for none → ConnectTimeoutError.
   * @default 5000
   */
  connectTimeout?: number | null
  /** Aborting while connecting rejects with AbortError and closes the socket. */
  signal?: AbortSignal | null
  /** Extra TLS options (ca, cert, key, servername, minVersion, …), merged into tls.connect. */
  tls?: tls.ConnectionOptions
  /**
   * Verify the server certificate against the trusted CAs (verifySsl).
   * @default true
   */
  rejectUnauthorized?: boolean
  /**
   * sha256 of the server certificate's DER, hex (case-insensitive, ':' separators allowed).
   * A mismatch → FingerprintMismatchError before any request byte is written. Independent of
   * `rejectUnauthorized`: to pin a self-signed certificate, set both.
   * @default null
   */
  fingerprint?: string | null
  /**
   * Resume TLS sessions on new connections to the same origin.
   * @default null
   */
  tlsSessionCache?: TlsSessionCache | null
  /**
   * An already connected socket to speak over (e.g. a proxy CONNECT tunnel); for https TLS is
   * layered on it. hostname/port then only name the origin (SNI, cache key).
   * @default null
   */
  socket?: Duplex | null
  /**
   * Largest response header block accepted, in bytes → ResponseTooLargeError.
   * @default 65536
   */
  maxHeaderSize?: number
}

function normaliseFingerprint(fp: string): string {
  const hex = fp.replace(/:/g, '').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new InvalidArgumentError(`fingerprint must be the sha256 of the certificate in hex (64 digits, ':' allowed), got ${JSON.stringify(fp)}`)
  }
  return hex
}

/** Hex sha256 of the peer certificate's DER, or '' when the peer sent none. */
function peerFingerprint(socket: tls.TLSSocket): string {
  const cert = socket.getPeerCertificate()
  const raw = cert === null || cert === undefined ? undefined : cert.raw
  return raw === undefined ? '' : createHash('sha256').update(raw).digest('hex')
}

/**
 * Opens a connection and resolves once it can carry requests (TCP connected; for https the TLS
 * handshake done and the fingerprint checked).
 *
 * Errors: a name that does not resolve → DnsError; refused/unreachable/TLS failure → ConnectError (cause = the OS or TLS error); too slow →
 * ConnectTimeoutError; aborted → AbortError; pinned certificate differs → FingerprintMismatchError.
 *
 * @example
 * const conn = await connectHttp1({ protocol: 'https:', hostname: 'example.com', port: 443 })
 */
export function connectHttp1(options: Http1ConnectOptions): Promise<Http1Connection> {
  const { protocol, hostname, port } = options
  if (protocol !== 'http:' && protocol !== 'https:') {
    return Promise.reject(new InvalidArgumentError(`protocol must be 'http:' or 'https:', got ${JSON.stringify(protocol)}`))
  }
  const given = options.socket ?? null
  const socketPath = options.socketPath ?? null
  if (given === null && socketPath === null && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    return Promise.reject(new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${String(port)}`))
  }
  const connectTimeout = options.connectTimeout === undefined ? 5000 : options.connectTimeout
  if (connectTimeout !== null && !(typeof connectTimeout === 'number' && connectTimeout >= 0)) {
    return Promise.reject(new InvalidArgumentError(`connectTimeout must be a non-negative number of ms or null, got ${String(connectTimeout)}`))
  }
  let fingerprint: string | null = null
  try {
    if (options.fingerprint != null) fingerprint = normaliseFingerprint(options.fingerprint)
  } catch (err) {
    return Promise.reject(err)
  }
  const maxHeaderSize = options.maxHeaderSize ?? 65536
  if (!Number.isSafeInteger(maxHeaderSize) || maxHeaderSize <= 0) {
    return Promise.reject(new InvalidArgumentError(`maxHeaderSize must be a positive integer, got ${String(maxHeaderSize)}`))
  }
  const signal = options.signal ?? null
  if (signal !== null && signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))

  const https = protocol === 'https:'
  const target = socketPath ?? `${hostname}:${port}`
  const cache = https ? (options.tlsSessionCache ?? null) : null
  const servername = options.tls?.servername ?? (net.isIP(hostname) === 0 ? hostname : undefined)
  // Sessions are shared only between connections with the same origin, SNI name, verification
  // mode and pin: a resumed session presents no certificate to check again.
  const insecure = (options.rejectUnauthorized ?? options.tls?.rejectUnauthorized ?? true) ? '' : '|insecure'
  const cacheKey = `${target}|${servername ?? ''}${insecure}${fingerprint === null ? '' : `|${fingerprint}`}`

  return new Promise<Http1Connection>((resolve, reject) => {
    let socket: net.Socket | tls.TLSSocket
    try {
      socket = https
        ? connectTls(options, socketPath, given, servername, cache?.get(cacheKey))
        : given !== null
          ? (given as net.Socket)
          : connectTcp(options, socketPath)
    } catch (err) {
      reject(new ConnectError(`Could not connect to ${target}: ${(err as Error).message}`, { cause: err }))
      return
    }
    let settled = false
    let timer: NodeJS.Timeout | null = null
    // Sessions are cached only once the connection passed its checks (TLS 1.2 announces them
    // during the handshake, before the fingerprint is known to match).
    let trusted = false
    let pendingSession: Buffer | null = null
    if (cache !== null) {
      socket.on('session', (session: Buffer) => {
        if (trusted) cache.set(cacheKey, session)
        else pendingSession = session
      })
    }

    const cleanup = (): void => {
      settled = true
      if (timer !== null) clearTimeout(timer)
      socket.off('error', onError)
      socket.off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: Error): void => {
      if (settled) return
      cleanup()
      socket.destroy()
      if (given !== null && given !== socket) given.destroy()
      reject(err)
    }
    const onError = (err: Error): void => fail(connectError(err, target, options.hostname))
    const onClose = (): void => fail(new ConnectError(`The connection to ${target} closed while connecting`))
    const onAbort = (): void => fail(new AbortError(undefined, { cause: signal!.reason }))
    const onReady = (): void => {
      if (settled) return
      if (https && fingerprint !== null) {
        const tlsSocket = socket as tls.TLSSocket
        const actual = peerFingerprint(tlsSocket)
        // A resumed session carries no certificate; it came from the cache entry of this very pin.
        const resumedPinned = actual === '' && tlsSocket.isSessionReused()
        if (actual !== fingerprint && !resumedPinned) {
          cache?.delete(cacheKey)
          fail(new FingerprintMismatchError(fingerprint, actual))
          return
        }
      }
      trusted = true
      if (pendingSession !== null) cache!.set(cacheKey, pendingSession)
      cleanup()
      if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
      resolve(new Http1Connection(socket, { maxHeaderSize }))
    }

    socket.on('error', onError)
    socket.on('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (connectTimeout !== null && connectTimeout > 0) {
      timer = setTimeout(() => fail(new ConnectTimeoutError(`Connecting to ${target} took longer than ${connectTimeout} ms`, connectTimeout)), connectTimeout)
    }

    if (https) socket.once('secureConnect', onReady)
    else if (given !== null) {
      if (socket.destroyed) fail(new ConnectError(`The socket given for ${target} is already closed`))
      else onReady()
    } else socket.once('connect', onReady)
  })
}

function connectTcp(options: Http1ConnectOptions, socketPath: string | null): net.Socket {
  if (socketPath !== null) return net.connect({ path: socketPath })
  const opts: net.TcpNetConnectOpts = {
    host: options.hostname,
    port: options.port,
    noDelay: true,
    autoSelectFamily: options.autoSelectFamily ?? true,
  }
  if (options.lookup !== undefined) opts.lookup = options.lookup
  if (options.family !== undefined && options.family !== 0) opts.family = options.family
  if (options.localAddress !== undefined) opts.localAddress = options.localAddress
  return net.connect(opts)
}

function connectTls(
  options: Http1ConnectOptions,
  socketPath: string | null,
  given: Duplex | null,
  servername: string | undefined,
  session: Buffer | undefined,
): tls.TLSSocket {
  const hostname = options.hostname
  const user = options.tls ?? {}
  const opts: tls.ConnectionOptions & net.TcpNetConnectOpts = {
    ALPNProtocols: ['http/1.1'],
    ...user,
    rejectUnauthorized: options.rejectUnauthorized ?? user.rejectUnauthorized ?? true,
    host: hostname,
    port: options.port,
  }
  if (servername !== undefined) opts.servername = servername
  if (given !== null) opts.socket = given
  else if (socketPath !== null) opts.path = socketPath
  else {
    opts.autoSelectFamily = options.autoSelectFamily ?? true
    if (options.lookup !== undefined) opts.lookup = options.lookup
    if (options.family !== undefined && options.family !== 0) opts.family = options.family
    if (options.localAddress !== undefined) opts.localAddress = options.localAddress
  }
  if (session !== undefined) opts.session = session
  return tls.connect(opts)
}

/**
 * The error a failed connect reports: a DnsError from the resolver as it is, a failed system
 * lookup (getaddrinfo) as a DnsError with the OS error as cause, anything else as a ConnectError.
 */
function connectError(err: Error, target: string, hostname: string): Error {
  if (err instanceof DnsError) return err
  if ((err as NodeJS.ErrnoException).syscall === 'getaddrinfo') {
    return new DnsError(hostname, `Could not resolve ${hostname}: ${err.message}`, { cause: err })
  }
  return new ConnectError(`Could not connect to ${target}: ${err.message}`, { cause: err })
}
