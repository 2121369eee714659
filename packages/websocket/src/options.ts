// wsConnect's options, checked once at the edge into a frozen plan the handshake works from.
import { HttpHeaders, InvalidArgumentError, isToken, type HeadersInit, type TlsOptions } from '@sonic/core'
import type { Transport } from '@sonic/transport'
import { deflateOffer, type DeflateOffer, type PerMessageDeflateOptions } from './permessage-deflate.js'

/** Anything that reaches a target through a proxy: `HttpProxy` and `SocksProxy` from @sonic/proxy. */
export interface WsProxy {
  tunnel(inner: Transport): Transport
}

export interface WsConnectOptions {
  /**
   * Subprotocols to offer (Sec-WebSocket-Protocol), in order of preference; the server picks one
   * or none (`ws.protocol`).
   * @default []
   * @example { protocols: ['graphql-transport-ws'] }
   */
  protocols?: readonly string[] | string
  /** Extra request headers (the WebSocket ones are ours and win). */
  headers?: HeadersInit
  /** The Origin header. @default none */
  origin?: string
  /**
   * Limit for the whole opening handshake (connect, TLS, proxy, 101), in ms →
   * ConnectTimeoutError; also how long close() waits for the server's close frame. null: no
   * limit for the handshake (close() then waits 10000 ms at most).
   * @default 10000
   */
  timeout?: number | null
  /**
   * Answer the server's close frame and finish the connection on our own (else receive() gives
   * the close message and you call close()).
   * @default true
   */
  autoclose?: boolean
  /**
   * Answer pings with pongs on our own; pings and pongs are then not given by receive().
   * @default true
   */
  autoping?: boolean
  /**
   * Send a ping every `heartbeat` ms; when nothing comes back within `heartbeat / 2` the
   * connection is dropped with close code 1006 and receive() rejects with WebSocketError.
   * @default null (no heartbeat)
   */
  heartbeat?: number | null
  /**
   * Offer permessage-deflate (RFC 7692): true with the defaults, an options object to tune it, false not to.
   * @default true
   * @example { compress: { clientNoContextTakeover: true, serverNoContextTakeover: true } }
   */
  compress?: boolean | PerMessageDeflateOptions
  /**
   * Largest message accepted, in bytes (after inflating); larger → close 1009 and WebSocketError.
   * 0 for no limit.
   * @default 4194304 (4 MiB)
   */
  maxMsgSize?: number
  /**
   * Reach the server through this proxy (a CONNECT tunnel for ws:// and wss://): an HttpProxy
   * or SocksProxy of @sonic/proxy, or anything with `tunnel(transport)`.
   * @default null
   */
  proxy?: WsProxy | null
  /**
   * How bytes reach the host.
   * @default a TcpTransport made for this connection
   */
  transport?: Transport
  /** TLS settings for wss:// (ca, cert, key, servername, fingerprint, …). */
  tls?: TlsOptions | null
  /**
   * Verify the server's certificate (wss://).
   * @default true
   */
  verify?: boolean
  /** Aborts the handshake (AbortError) or, once open, drops the connection (receive() rejects with AbortError). */
  signal?: AbortSignal | null
}

/** What wsConnect works from. */
export interface ConnectPlan {
  readonly href: string
  readonly https: boolean
  readonly hostname: string
  readonly port: number
  /** Host header / authority. */
  readonly authority: string
  readonly path: string
  readonly protocols: readonly string[]
  /** Flat request headers without the WebSocket ones. */
  readonly headers: readonly string[]
  readonly timeout: number | null
  readonly autoclose: boolean
  readonly autoping: boolean
  readonly heartbeat: number | null
  readonly deflate: DeflateOffer | null
  readonly maxMsgSize: number
  readonly proxy: WsProxy | null
  readonly transport: Transport | null
  readonly tls: TlsOptions | null
  readonly signal: AbortSignal | null
}

const OURS = new Set(['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'])
const MAX_MS = 2 ** 31 - 1

function ms(v: unknown, name: string, fallback: number | null): number | null {
  if (v === undefined) return fallback
  if (v === null || v === 0) return null
  if (typeof v !== 'number' || !(v > 0 && v <= MAX_MS)) throw new InvalidArgumentError(`${name} must be a positive number of ms or null`)
  return v
}

function bool(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined) return fallback
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${name} must be a boolean`)
  return v
}

/** Checks `url` and `options` → InvalidArgumentError on anything wrong. */
export function planConnect(url: string | URL, options: WsConnectOptions = {}): ConnectPlan {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('wsConnect options must be an object')
  let u: URL
  try {
    u = new URL(url instanceof URL ? url.href : String(url))
  } catch (cause) {
    throw new InvalidArgumentError(`Invalid WebSocket URL: ${JSON.stringify(String(url))}`, { cause })
  }
  const scheme = u.protocol
  if (scheme !== 'ws:' && scheme !== 'wss:' && scheme !== 'http:' && scheme !== 'https:') {
    throw new InvalidArgumentError(`A WebSocket URL must be ws:, wss:, http: or https:, got ${JSON.stringify(scheme)}`)
  }
  if (u.hostname === '') throw new InvalidArgumentError('The WebSocket URL names no host')
  const https = scheme === 'wss:' || scheme === 'https:'
  u.hash = ''

  const headers = new HttpHeaders(options.headers)
  let protocols: string[] = []
  const given = options.protocols ?? headers.get('sec-websocket-protocol')?.split(',').map((p) => p.trim()) ?? []
  protocols = typeof given === 'string' ? [given] : [...given]
  for (const p of protocols) if (typeof p !== 'string' || !isToken(p)) throw new InvalidArgumentError(`Invalid subprotocol ${JSON.stringify(p)}`)
  if (new Set(protocols).size !== protocols.length) throw new InvalidArgumentError('Subprotocols must not repeat')
  const flat: string[] = []
  for (const [k, v] of headers) if (!OURS.has(k.toLowerCase())) flat.push(k, v)
  if (options.origin !== undefined) {
    if (typeof options.origin !== 'string') throw new InvalidArgumentError('origin must be a string')
    flat.push('origin', options.origin)
  }

  const maxMsgSize = options.maxMsgSize ?? 4 * 1024 * 1024
  if (!Number.isSafeInteger(maxMsgSize) || maxMsgSize < 0) throw new InvalidArgumentError('maxMsgSize must be a non-negative integer (0: no limit)')
  const proxy = options.proxy ?? null
  if (proxy !== null && (typeof proxy !== 'object' || typeof proxy.tunnel !== 'function')) {
    throw new InvalidArgumentError('proxy must be an HttpProxy, a SocksProxy or an object with tunnel(transport)')
  }
  const transport = options.transport ?? null
  if (transport !== null && (typeof transport !== 'object' || typeof transport.connect !== 'function')) {
    throw new InvalidArgumentError('transport must be a Transport (an object with connect(target, signal))')
  }
  const tlsIn = options.tls ?? null
  if (tlsIn !== null && typeof tlsIn !== 'object') throw new InvalidArgumentError('tls must be an object of TLS options')
  const verify = bool(options.verify, 'verify', true)
  const tls = https ? (verify && tlsIn === null ? null : Object.freeze({ ...tlsIn, ...(options.verify === undefined ? {} : { verify }) })) : null
  const signal = options.signal ?? null
  if (signal !== null && (typeof signal !== 'object' || typeof signal.addEventListener !== 'function')) throw new InvalidArgumentError('signal must be an AbortSignal')

  return Object.freeze({
    href: u.href,
    https,
    hostname: u.hostname,
    port: u.port === '' ? (https ? 443 : 80) : Number(u.port),
    authority: u.host,
    path: `${u.pathname || '/'}${u.search}`,
    protocols: Object.freeze(protocols),
    headers: Object.freeze(flat),
    timeout: ms(options.timeout, 'timeout', 10000),
    autoclose: bool(options.autoclose, 'autoclose', true),
    autoping: bool(options.autoping, 'autoping', true),
    heartbeat: ms(options.heartbeat, 'heartbeat', null),
    deflate: deflateOffer(options.compress),
    maxMsgSize,
    proxy,
    transport,
    tls,
    signal,
  })
}
