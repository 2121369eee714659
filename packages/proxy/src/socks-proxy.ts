// A SOCKS4/4a/5/5h proxy as a Transport that wraps another: dial the proxy through the inner
// transport (so its DNS, family and localAddress apply), run the SOCKS handshake over that socket
// with the `socks` package, then TLS to the target inside the tunnel for https. Names are resolved
// here for socks5:// and socks4:// and by the proxy for socks5h:// and socks4a://. One deadline
// (target.timeoutMs, counted from the call) and the AbortSignal bound every phase; on any failure
// the socket is destroyed and our timer and listeners are gone.
import { createHash } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Duplex } from 'node:stream'
import { AbortError, ConnectError, ConnectTimeoutError, DnsError, InvalidArgumentError, ProxyError, isSonicError } from '@sonic/core'
import { connectTimeoutOf, startTls, type Connected, type Transport, type TransportTarget } from '@sonic/transport'
import { SocksClient } from 'socks'

/** Options of a SOCKS proxy. */
export interface SocksProxyOptions {
  /**
   * Credentials for the proxy: `'user:pass'` (split at the first `:`, taken as is) or
   * `{ username, password }`. SOCKS5 sends them as RFC 1929 username/password (each at most 255
   * bytes); SOCKS4 sends the username as its user id and has no password. Wins over userinfo in
   * the proxy URL.
   * @default the URL's percent-decoded userinfo, else none
   * @example new SocksProxy('socks5://127.0.0.1:1080', { auth: { username: 'me', password: 's3cret' } })
   */
  auth?: string | { username: string; password?: string }
}

/**
 * The `socks` package always arms a timer for its handshake (and never clears it). With a deadline
 * it is set past ours, so ours fires first; with no deadline (`timeoutMs: null`) it bounds the SOCKS
 * handshake alone to this many ms.
 */
const UNBOUNDED_HANDSHAKE_MS = 30_000
/** A host name the proxy is to resolve: printable ASCII (the `socks` package counts characters). */
const REMOTE_NAME = /^[\x21-\x7e]{1,255}$/

const SCHEMES: Readonly<Record<string, { version: 4 | 5; remoteDns: boolean }>> = {
  'socks5:': { version: 5, remoteDns: false },
  'socks5h:': { version: 5, remoteDns: true },
  'socks4:': { version: 4, remoteDns: false },
  'socks4a:': { version: 4, remoteDns: true },
}

/** RFC 1928 REP codes (SOCKS5) and SOCKS4 CD codes, by the names the `socks` package reports them with. */
const REPLIES: Readonly<Record<string, readonly [code: number, text: string]>> = {
  Failure: [1, 'general SOCKS server failure'],
  NotAllowed: [2, 'connection not allowed by ruleset'],
  NetworkUnreachable: [3, 'network unreachable'],
  HostUnreachable: [4, 'host unreachable'],
  ConnectionRefused: [5, 'connection refused'],
  TTLExpired: [6, 'TTL expired'],
  CommandNotSupported: [7, 'command not supported'],
  AddressNotSupported: [8, 'address type not supported'],
  Failed: [91, 'request rejected or failed'],
  Rejected: [92, 'the proxy could not reach the identd of the client'],
  RejectedIdent: [93, 'the identd of the client reported a different user id'],
}

/** A target checked once, before anything is dialled. */
interface SocksPlan {
  readonly https: boolean
  /** Host name or IP, IPv6 without brackets. */
  readonly hostname: string
  readonly port: number
  /** `host:port` (IPv6 in brackets) for messages. */
  readonly label: string
  /** The limit in ms, or null for none. */
  readonly timeoutMs: number | null
  /** performance.now() when the attempt began. */
  readonly startedAt: number
}

/**
 * A SOCKS proxy: `socks5://`, `socks5h://` (the proxy resolves the target's name), `socks4://` or
 * `socks4a://` (the proxy resolves the name), default port 1080.
 *
 * @example
 * const proxy = new SocksProxy('socks5h://user:pass@127.0.0.1:1080')
 * const transport = proxy.tunnel(new TcpTransport())
 * const { socket, alpn } = await transport.connect({ protocol: 'https:', hostname: 'example.com', port: 443, alpn: ['h2', 'http/1.1'] })
 */
export class SocksProxy {
  /** The proxy's URL without credentials, path or query: `'socks5://127.0.0.1:1080'`. */
  readonly url: string
  /**
   * Identity for pool keys: `url` plus a sha256 of the credentials. Two proxies with the same URL
   * and credentials have the same key.
   */
  readonly key: string
  /** True for socks5h:// and socks4a://: target names are sent to the proxy, not resolved here. */
  readonly remoteDns: boolean
  /** The SOCKS version spoken: 4 (socks4://, socks4a://) or 5. */
  readonly version: 4 | 5
  /** How to reach the proxy itself (plain TCP). */
  readonly target: Readonly<TransportTarget>
  readonly #username: string | undefined
  readonly #password: string | undefined

  constructor(url: string | URL, options: SocksProxyOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('SocksProxy options must be an object')
    const parsed = parseSocksUrl(url)
    const scheme = SCHEMES[parsed.protocol]!
    // A socks URL is not "special" to WHATWG URL: its host is neither lower-cased nor decoded.
    const host = parsed.hostname.toLowerCase()
    const hostname = host.startsWith('[') ? host.slice(1, -1) : host
    if (hostname === '' || hostname.includes('%')) throw new InvalidArgumentError(`The proxy URL ${JSON.stringify(String(url))} names no usable host`)
    const port = parsed.port === '' ? 1080 : Number(parsed.port)
    if (port < 1) throw new InvalidArgumentError(`The proxy URL ${JSON.stringify(String(url))} has port 0`)
    const credentials = options.auth !== undefined ? authFromOption(options.auth) : authFromUrl(parsed)
    if (credentials !== null) checkCredentials(credentials, scheme.version)

    this.version = scheme.version
    this.remoteDns = scheme.remoteDns
    this.url = `${parsed.protocol}//${host}:${port}`
    this.key = credentials === null ? this.url : `${this.url}#${identityHash(credentials)}`
    this.target = Object.freeze({ protocol: 'http:', hostname, port })
    this.#username = credentials?.username
    this.#password = credentials === null || scheme.version === 4 ? undefined : credentials.password
  }

  /**
   * A Transport that reaches each target through this proxy: it dials the proxy through `inner`,
   * asks it (SOCKS CONNECT) for the target and, for `https:` targets, starts TLS to the target
   * inside the tunnel (ALPN from `target.alpn`). `target.timeoutMs` bounds all of it, a local DNS
   * lookup included; `connect()` resolves with `proxied: true`.
   *
   * Errors: DnsError (the target's name, resolved here for socks5:// and socks4://), the inner
   * transport's (ConnectError naming the proxy, DnsError for the proxy's name), ProxyError (the
   * proxy refused: `socksReply` holds the RFC 1928 REP code, or the SOCKS4 code 91-93; refused
   * credentials), ConnectError (the proxy hung up during the handshake), ConnectTimeoutError,
   * AbortError, InvalidArgumentError (a bad target), and startTls's errors for the target. The
   * inner transport stays the caller's to close.
   */
  tunnel(inner: Transport): Transport {
    if (inner === null || typeof inner !== 'object' || typeof inner.connect !== 'function') {
      throw new InvalidArgumentError('tunnel() needs a Transport (an object with connect(target, signal))')
    }
    return { connect: (target, signal) => this.#connect(inner, target, signal ?? null) }
  }

  async #connect(inner: Transport, target: TransportTarget, signal: AbortSignal | null): Promise<Connected> {
    const plan = planTarget(target)
    if (signal !== null && signal.aborted) throw abortError(signal)
    const host = await this.#destination(plan, signal)
    let socket: Duplex
    try {
      ;({ socket } = await inner.connect({ ...this.target, timeoutMs: remaining(plan) }, signal))
    } catch (err) {
      throw this.#dialError(err, plan)
    }
    const tunnel = await this.#handshake(socket, host, plan, signal)
    if (!plan.https) return { socket: tunnel, alpn: null, proxied: true }
    const tlsTarget = { hostname: plan.hostname, port: plan.port, tls: target.tls ?? null, ...(target.alpn === undefined ? {} : { alpn: target.alpn }) }
    const connected = await startTls(tunnel, tlsTarget, { signal, timeoutMs: plan.timeoutMs, startedAt: plan.startedAt })
    return { ...connected, proxied: true }
  }

  /** What to ask the proxy for: the name itself (socks5h, socks4a, IP literals) or an address resolved here. */
  async #destination(plan: SocksPlan, signal: AbortSignal | null): Promise<string> {
    const family = isIP(plan.hostname)
    if (family === 6 && this.version === 4) throw new ProxyError(`The SOCKS4 proxy ${this.url} cannot reach the IPv6 address ${plan.label}`)
    if (family !== 0) return plan.hostname
    if (this.remoteDns) {
      if (!REMOTE_NAME.test(plan.hostname)) throw new InvalidArgumentError(`The host name ${JSON.stringify(plan.hostname)} cannot be sent to a SOCKS proxy`)
      return plan.hostname
    }
    // SOCKS4 carries IPv4 addresses only.
    const found = lookup(plan.hostname, { family: this.version === 4 ? 4 : 0 })
    const { address } = await bounded(found, plan, signal, null, (err) => {
      return new DnsError(plan.hostname, `Could not resolve ${plan.hostname}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    })
    return address
  }

  /**
   * Runs the SOCKS handshake on `socket` and resolves with it once the proxy granted the
   * connection, flowing state reset (the first 'data' listener starts it) and any bytes that came
   * behind the proxy's reply back in its buffer. On failure `socket` is destroyed.
   */
  #handshake(socket: Duplex, host: string, plan: SocksPlan, signal: AbortSignal | null): Promise<Duplex> {
    const left = remaining(plan)
    // The socket's own error (the socks package reports only its message), kept as the cause.
    let socketError: Error | null = null
    const onSocketError = (err: Error): void => {
      socketError = err
    }
    socket.on('error', onSocketError)
    let established: Promise<Duplex>
    try {
      established = SocksClient.createConnection({
        proxy: { host: this.target.hostname, port: this.target.port, type: this.version, userId: this.#username, password: this.#password },
        command: 'connect',
        destination: { host, port: plan.port },
        existing_socket: socket,
        timeout: left === null ? UNBOUNDED_HANDSHAKE_MS : Math.ceil(left) + 1000,
      }).then(({ socket: s }) => settleFlow(s), (err: unknown) => Promise.reject(this.#socksError(err, socketError, plan)))
    } catch (err) {
      established = Promise.reject(new InvalidArgumentError(`Cannot ask the SOCKS proxy ${this.url} for ${plan.label}: ${String((err as Error).message)}`, { cause: err }))
    }
    return bounded(established, plan, signal, socket, (err) => err as Error).finally(() => socket.off('error', onSocketError))
  }

  /** What a failed dial to the proxy reports: the limit of the whole attempt, the proxy named. */
  #dialError(err: unknown, plan: SocksPlan): unknown {
    if (err instanceof ConnectTimeoutError) return timeoutError(plan, this.url, err)
    if (err instanceof ConnectError) {
      return new ConnectError(`Could not connect to the SOCKS proxy ${this.url}: ${err.message}`, { cause: err })
    }
    return err
  }

  /** The socks package's error (a message only) as a sonic error. */
  #socksError(err: unknown, socketError: Error | null, plan: SocksPlan): Error {
    if (isSonicError(err)) return err
    const message = err instanceof Error ? err.message : String(err)
    const cause = socketError ?? err
    const to = `the SOCKS${this.version} proxy ${this.url}`
    const rejected = /rejected connection - \(?(\w+)\)?$/.exec(message)
    if (rejected !== null) {
      const reply = REPLIES[rejected[1]!]
      const why = reply === undefined ? `an unknown reply (${rejected[1]})` : `${reply[1]} (reply ${reply[0]})`
      return new ProxyError(`${capitalised(to)} refused to connect to ${plan.label}: ${why}`, undefined, { cause: err, socksReply: reply?.[0] })
    }
    if (message === 'Proxy connection timed out') {
      return new ConnectTimeoutError(`The SOCKS handshake with ${this.url} took longer than ${UNBOUNDED_HANDSHAKE_MS} ms`, UNBOUNDED_HANDSHAKE_MS, { cause: err })
    }
    if (message === 'Socks5 Authentication failed') return new ProxyError(`${capitalised(to)} refused the username and password`, undefined, { cause: err })
    if (message.includes('no accepted authentication type')) {
      const offered = this.#username === undefined && this.#password === undefined ? 'no credentials were given' : 'it accepts no method offered'
      return new ProxyError(`${capitalised(to)} requires authentication (${offered})`, undefined, { cause: err })
    }
    if (message === 'Socket closed' || socketError !== null) {
      return new ConnectError(`The connection to ${to} closed during the SOCKS handshake for ${plan.label}`, { cause })
    }
    return new ProxyError(`The SOCKS handshake with ${this.url} for ${plan.label} failed: ${message}`, undefined, { cause: err })
  }
}

/**
 * Waits for `work`, bounded by the attempt's deadline and `signal`: on either, `socket` (when
 * given) is destroyed and the promise rejects with ConnectTimeoutError or AbortError. A failure of
 * `work` goes through `describe`. The timer and the abort listener are gone once it settles.
 */
function bounded<T>(work: Promise<T>, plan: SocksPlan, signal: AbortSignal | null, socket: Duplex | null, describe: (err: unknown) => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false
    let timer: NodeJS.Timeout | null = null
    const finish = (): boolean => {
      if (done) return false
      done = true
      if (timer !== null) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      return true
    }
    const fail = (err: Error): void => {
      if (!finish()) return
      socket?.destroy()
      reject(err)
    }
    const onAbort = (): void => fail(abortError(signal!))
    work.then(
      (value) => {
        // Late (after the deadline or an abort): `socket`, if any, is destroyed already.
        if (finish()) resolve(value)
      },
      (err: unknown) => fail(describe(err)),
    )
    if (done) return
    if (signal !== null) {
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
    }
    const left = remaining(plan)
    if (left !== null) timer = setTimeout(() => fail(timeoutError(plan, null, null)), left)
  })
}

/**
 * The socks package pauses the socket when the proxy grants the connection, and one setImmediate
 * later emits the bytes that came behind the reply and resumes it — to nobody, if the new owner
 * has not attached a listener yet. Those bytes are caught here and put back, and the socket is
 * left as a fresh one: neither flowing nor explicitly paused.
 */
function settleFlow(socket: Duplex): Promise<Duplex> {
  return new Promise<Duplex>((resolve) => {
    const early: Buffer[] = []
    const collect = (chunk: Buffer): void => {
      early.push(chunk)
    }
    socket.on('data', collect) // does not start a paused socket
    setImmediate(() => {
      socket.pause()
      socket.off('data', collect)
      for (let i = early.length - 1; i >= 0; i--) socket.unshift(early[i]!)
      ;(socket as { readableFlowing: boolean | null }).readableFlowing = null
      resolve(socket)
    })
  })
}

/** Ms left of the attempt's limit (at least 1, so it never means "none"), or null for no limit. */
function remaining(plan: SocksPlan): number | null {
  if (plan.timeoutMs === null) return null
  return Math.max(1, plan.startedAt + plan.timeoutMs - performance.now())
}

function timeoutError(plan: SocksPlan, proxyUrl: string | null, cause: unknown): ConnectTimeoutError {
  const via = proxyUrl === null ? 'through the SOCKS proxy' : `through the SOCKS proxy ${proxyUrl}`
  const limit = plan.timeoutMs!
  return new ConnectTimeoutError(`Connecting to ${plan.label} ${via} took longer than ${limit} ms`, limit, cause === null ? undefined : { cause })
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason })
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** Checks `target` → InvalidArgumentError (nothing dialled yet). */
function planTarget(target: TransportTarget): SocksPlan {
  const startedAt = performance.now()
  if (target === null || typeof target !== 'object') throw new InvalidArgumentError('A transport target must be an object')
  const { protocol, port } = target
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InvalidArgumentError(`protocol must be 'http:' or 'https:', got ${JSON.stringify(protocol)}`)
  }
  if (typeof target.hostname !== 'string' || target.hostname === '') {
    throw new InvalidArgumentError(`hostname must be a non-empty string, got ${JSON.stringify(target.hostname)}`)
  }
  const hostname = target.hostname.startsWith('[') && target.hostname.endsWith(']') ? target.hostname.slice(1, -1) : target.hostname
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`)
  const label = isIP(hostname) === 6 ? `[${hostname}]:${port}` : `${hostname}:${port}`
  return { https: protocol === 'https:', hostname, port, label, timeoutMs: connectTimeoutOf(target.timeoutMs), startedAt }
}


function parseSocksUrl(url: string | URL): URL {
  let parsed: URL
  try {
    parsed = new URL(url instanceof URL ? url.href : url)
  } catch (err) {
    throw new InvalidArgumentError(`Invalid proxy URL: ${JSON.stringify(String(url))}`, { cause: err })
  }
  if (SCHEMES[parsed.protocol] === undefined) {
    throw new InvalidArgumentError(`A SocksProxy URL must be socks5:, socks5h:, socks4: or socks4a:, got ${JSON.stringify(parsed.protocol)} (use HttpProxy for http URLs)`)
  }
  return parsed
}

interface Credentials {
  readonly username: string
  readonly password: string
}

/** The URL's percent-decoded userinfo, or null when it has none. */
function authFromUrl(url: URL): Credentials | null {
  if (url.username === '' && url.password === '') return null
  try {
    return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
  } catch (err) {
    throw new InvalidArgumentError('The proxy URL has malformed percent-encoding in its userinfo', { cause: err })
  }
}

function authFromOption(auth: SocksProxyOptions['auth']): Credentials {
  if (typeof auth === 'string') {
    const colon = auth.indexOf(':')
    return colon === -1 ? { username: auth, password: '' } : { username: auth.slice(0, colon), password: auth.slice(colon + 1) }
  }
  if (auth !== null && typeof auth === 'object' && typeof auth.username === 'string') {
    const { username, password = '' } = auth
    if (typeof password !== 'string') throw new InvalidArgumentError('auth.password must be a string')
    return { username, password }
  }
  throw new InvalidArgumentError("auth must be 'user:pass' or { username, password }")
}

/** RFC 1929 allows 1-255 bytes each; SOCKS4's user id ends at a NUL. */
function checkCredentials({ username, password }: Credentials, version: 4 | 5): void {
  if (username.includes('\0') || password.includes('\0')) throw new InvalidArgumentError('SOCKS credentials cannot contain NUL')
  if (version === 5 && (Buffer.byteLength(username) > 255 || Buffer.byteLength(password) > 255)) {
    throw new InvalidArgumentError('SOCKS5 usernames and passwords are at most 255 bytes each (RFC 1929)')
  }
}

/** base64url sha256 of the credentials (a proxy's identity besides its URL). */
function identityHash({ username, password }: Credentials): string {
  return createHash('sha256').update(`${Buffer.byteLength(username)}:${username}|${password}`).digest('base64url')
}
