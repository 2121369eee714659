// TLS over a connected socket — the one TLS code path of every transport: over TCP, over a unix
// socket, and inside a proxy's CONNECT tunnel. It offers ALPN, sends SNI, resumes cached sessions
// and checks a pinned fingerprint before the socket is handed out, so no byte of a request
// reaches an unpinned server.
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { ConnectError, FingerprintMismatchError, InvalidArgumentError } from '@sonic/core'
import { abortError, awaitPhase, deadlineOf, reason, type Deadline } from './connect-phase.js'
import { normaliseFingerprint, peerFingerprint } from './fingerprint.js'
import { checkHostname, checkPort, checkTarget, checkTimeout, hostLabel, type CheckedTarget } from './target.js'
import { tlsOptionsKey } from './tls-options-key.js'
import type { TlsSessionCache } from './tls-session-cache.js'
import type { Connected, TransportTarget } from './transport.js'

/** What startTls needs of a target: the origin it names and its TLS settings. */
export type TlsTarget = Pick<TransportTarget, 'hostname' | 'port' | 'tls' | 'alpn' | 'timeoutMs'>

export interface StartTlsOptions {
  /**
   * Resume sessions from, and store new ones in, this cache.
   * @default null
   */
  sessionCache?: TlsSessionCache | null
  /** Aborting while the handshake runs → AbortError; the sockets are destroyed. */
  signal?: AbortSignal | null
  /**
   * Limit for the handshake in ms → ConnectTimeoutError; null (or 0) for none.
   * @default target.timeoutMs, else 5000
   */
  timeoutMs?: number | null
  /**
   * `performance.now()` when the whole connect attempt began: the limit counts from it, so one
   * `timeoutMs` covers TCP, a proxy handshake and TLS, and ConnectTimeoutError reports that limit.
   * @default performance.now()
   */
  startedAt?: number
}

/** A TLS target checked once: the options for tls.connect and the session cache key. */
export interface TlsPlan {
  readonly hostname: string
  readonly label: string
  /** Pinned sha256 (64 lower-case hex digits), or null. */
  readonly fingerprint: string | null
  /** For tls.connect, without `socket` and `session`. */
  readonly options: tls.ConnectionOptions
  /** Sessions are shared only between connections with the same key. */
  readonly sessionKey: string
}

/**
 * What a transport's connect() checks before it dials: the target (→ InvalidArgumentError) and,
 * for https, its TLS plan; an already aborted signal → AbortError. Returns the error instead of
 * throwing, for the caller to reject with.
 */
export function planConnect(target: TransportTarget, dialled: boolean, signal: AbortSignal | null): { target: CheckedTarget; plan: TlsPlan | null } | Error {
  try {
    const checked = checkTarget(target, dialled)
    const plan = checked.https ? tlsPlan(target, checked.hostname, checked.label) : null
    if (signal !== null && signal.aborted) return abortError(signal)
    return { target: checked, plan }
  } catch (err) {
    return err instanceof Error ? err : new InvalidArgumentError(String(err))
  }
}

/** Checks the TLS settings of a target → InvalidArgumentError (bad fingerprint, ALPN, key/cert/CA material). */
export function tlsPlan(target: TlsTarget, hostname: string, label: string): TlsPlan {
  const given = target.tls ?? null
  if (given !== null && typeof given !== 'object') throw new InvalidArgumentError('tls must be an object of TLS options or null')
  const { fingerprint: pin, verify: verifyOption, ...nodeOptions } = given ?? {}
  const fingerprint = pin == null ? null : normaliseFingerprint(pin)
  if (verifyOption !== undefined && typeof verifyOption !== 'boolean') throw new InvalidArgumentError('tls.verify must be a boolean')
  const verify = verifyOption ?? nodeOptions.rejectUnauthorized ?? true
  const alpn = target.alpn === undefined ? (nodeOptions.ALPNProtocols ?? ['http/1.1']) : checkAlpn(target.alpn)
  const servername = nodeOptions.servername ?? (isIP(hostname) === 0 ? hostname : undefined)
  const options: tls.ConnectionOptions = { ...nodeOptions, ALPNProtocols: alpn, rejectUnauthorized: verify, host: hostname }
  if (servername === undefined) delete options.servername
  else options.servername = servername
  if (options.secureContext === undefined) {
    // Made here, before anything is dialled, so unusable key, cert or CA material is reported
    // without a connection opened for nothing (tls.connect would make the same context later).
    try {
      options.secureContext = tls.createSecureContext(options)
    } catch (err) {
      throw new InvalidArgumentError(`The TLS options for ${label} are not usable: ${reason(err as Error)}`, { cause: err })
    }
  }
  // A resumed session presents no certificate to check again: it is only offered to a connection
  // with the same host, SNI name, verification mode, pin and trust settings (by content).
  const sessionKey = `${label}|${servername ?? ''}|${verify ? 'verify' : 'insecure'}|${fingerprint ?? ''}|${tlsOptionsKey(given)}`
  return { hostname, label, fingerprint, options, sessionKey }
}

/**
 * Layers TLS on `socket` for a checked target and resolves once the handshake is done and the
 * pin checked. On failure both sockets are destroyed and the error is a ConnectError (TLS or
 * socket error as cause), ConnectTimeoutError, AbortError or FingerprintMismatchError.
 */
export function secure(
  socket: Duplex,
  plan: TlsPlan,
  cache: TlsSessionCache | null,
  signal: AbortSignal | null,
  deadline: Deadline | null,
): Promise<Connected> {
  const offered = cache?.get(plan.sessionKey)
  const opts: tls.ConnectionOptions = { ...plan.options, socket }
  if (offered !== undefined) opts.session = offered
  let secured: tls.TLSSocket
  try {
    secured = tls.connect(opts)
  } catch (err) {
    socket.destroy()
    return Promise.reject(new ConnectError(`Could not start TLS with ${plan.label}: ${reason(err as Error)}`, { cause: err }))
  }

  // Sessions are stored only once the connection passed its checks: TLS 1.2 announces them during
  // the handshake, before the pin is known to match; TLS 1.3 tickets come after it. The listener
  // goes away with the first stored session, so the socket handed out keeps none of ours.
  let trusted = false
  let pending: Buffer | null = null
  const onSession = (session: Buffer): void => {
    if (!trusted) pending = session
    else {
      cache!.set(plan.sessionKey, session)
      secured.off('session', onSession)
    }
  }
  if (cache !== null) secured.on('session', onSession)

  const check = (): Error | null => {
    if (plan.fingerprint === null) return null
    const actual = peerFingerprint(secured)
    // A resumed session may carry no certificate; it came from a connection that passed this very pin.
    if (actual === plan.fingerprint || (actual === '' && secured.isSessionReused())) return null
    return new FingerprintMismatchError(plan.fingerprint, actual)
  }

  return awaitPhase(secured, {
    ready: 'secureConnect',
    label: plan.label,
    deadline,
    signal,
    describe: (err) => new ConnectError(`TLS with ${plan.label} failed: ${reason(err)}`, { cause: err }),
    closedMessage: `The connection to ${plan.label} closed during the TLS handshake`,
    check,
    under: socket,
  }).then(
    () => {
      trusted = true
      if (pending !== null) {
        cache!.set(plan.sessionKey, pending)
        secured.off('session', onSession)
      }
      return { socket: secured, alpn: alpnOf(secured), proxied: false }
    },
    (err: unknown) => {
      secured.off('session', onSession)
      // A session that led to a failure, or one made under a pin that no longer matches, is dropped.
      if (cache !== null && (offered !== undefined || err instanceof FingerprintMismatchError)) cache.delete(plan.sessionKey)
      throw err
    },
  )
}

function checkAlpn(alpn: unknown): string[] {
  if (!Array.isArray(alpn) || !alpn.every((p) => typeof p === 'string' && p !== '' && Buffer.byteLength(p) < 256)) {
    throw new InvalidArgumentError(`alpn must be an array of protocol names, got ${JSON.stringify(alpn)}`)
  }
  return alpn
}

function alpnOf(socket: tls.TLSSocket): 'h2' | 'http/1.1' | null {
  const p = socket.alpnProtocol
  return p === 'h2' || p === 'http/1.1' ? p : null
}

/**
 * Layers TLS on an already connected socket — e.g. inside a proxy's CONNECT tunnel — for
 * `target` (SNI, certificate check, ALPN, pin and session key come from it; `protocol` is not
 * looked at). The socket belongs to startTls from the call on: on any failure it is destroyed.
 *
 * Errors: ConnectError (TLS failure, socket closed; cause = the TLS or socket error),
 * ConnectTimeoutError, AbortError, FingerprintMismatchError, InvalidArgumentError.
 *
 * @example
 * const tunnel = await proxyConnect('example.com:443') // a connected Duplex
 * const { socket, alpn } = await startTls(tunnel, { hostname: 'example.com', port: 443, alpn: ['h2', 'http/1.1'] })
 */
export function startTls(socket: Duplex, target: TlsTarget, options: StartTlsOptions = {}): Promise<Connected> {
  let plan: TlsPlan
  let deadline: Deadline | null
  try {
    if (target === null || typeof target !== 'object') throw new InvalidArgumentError('A TLS target must be an object')
    const hostname = checkHostname(target.hostname, false)
    checkPort(target.port, false)
    plan = tlsPlan(target, hostname, hostLabel(hostname, target.port))
    const { startedAt } = options
    if (startedAt !== undefined && !Number.isFinite(startedAt)) throw new InvalidArgumentError(`startedAt must be a performance.now() time, got ${String(startedAt)}`)
    deadline = deadlineOf(checkTimeout(options.timeoutMs !== undefined ? options.timeoutMs : target.timeoutMs), startedAt)
    if (socket.destroyed) throw new ConnectError(`The socket given for ${plan.label} is already closed`)
  } catch (err) {
    socket.destroy()
    return Promise.reject(err)
  }
  return secure(socket, plan, options.sessionCache ?? null, options.signal ?? null, deadline)
}
