// A CONNECT tunnel through an HTTP(S) proxy, as a Transport that wraps another: dial the proxy
// through the inner transport, speak one CONNECT over an Http1Connection, take the socket it
// hands over and, for https targets, start TLS to the target inside it. One deadline
// (target.timeoutMs, counted from the call) covers every phase; on any failure every socket of
// the attempt is destroyed and our timer and listeners are gone.
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Duplex } from 'node:stream'
import {
  AbortError,
  ConnectError,
  ConnectTimeoutError,
  InvalidArgumentError,
  ProxyError,
  isSonicError,
} from '@sonic/core'
import { Http1Connection, type UpgradeResult } from '@sonic/http1'
import { connectTimeoutOf, startTls, type Connected, type Transport, type TransportTarget } from '@sonic/transport'
import type { HttpProxy } from './http-proxy.js'

/** What a host name in a CONNECT request-target may hold (reg-name characters; no CR, LF, space, `/`, `@`). */
const REG_NAME = /^[A-Za-z0-9\-._~%!$&'()*+,;=]+$/

/** A target checked once, before anything is dialled. */
interface TunnelPlan {
  /** `host:port` (IPv6 in brackets): the CONNECT request-target and Host. */
  readonly authority: string
  /** The limit in ms, or null for none. */
  readonly timeoutMs: number | null
}

export class HttpTunnel implements Transport {
  readonly #proxy: HttpProxy
  readonly #inner: Transport
  /** Headers of every CONNECT: `proxy-authorization` when the proxy has credentials. */
  readonly #headers: readonly string[]

  constructor(proxy: HttpProxy, inner: Transport, authorization: string | null) {
    this.#proxy = proxy
    this.#inner = inner
    this.#headers = Object.freeze(authorization === null ? [] : ['proxy-authorization', authorization])
  }

  async connect(target: TransportTarget, signal: AbortSignal | null = null): Promise<Connected> {
    const startedAt = performance.now()
    const plan = planTunnel(target)
    if (signal !== null && signal.aborted) throw new AbortError(undefined, { cause: signal.reason })
    // The inner transport counts the same limit from (about) the same moment: it is the first phase.
    const { socket } = await this.#inner.connect({ ...this.#proxy.target, timeoutMs: plan.timeoutMs }, signal)
    const tunnel = await this.#handshake(socket, plan, signal, startedAt)
    if (target.protocol !== 'https:') return { socket: tunnel, alpn: null, proxied: true }
    const connected = await startTls(tunnel, target, { signal, timeoutMs: plan.timeoutMs, startedAt })
    return { ...connected, proxied: true }
  }

  /**
   * Sends CONNECT on `socket` and resolves with the tunnel (the same socket, handed over, with any
   * bytes that came after the `2xx` head pushed back into it). Rejects — with `socket` destroyed —
   * on a non-2xx answer (ProxyError), a hang-up (ConnectError), the deadline or an abort.
   */
  async #handshake(socket: Duplex, plan: TunnelPlan, signal: AbortSignal | null, startedAt: number): Promise<Duplex> {
    const proxyUrl = this.#proxy.url
    const conn = new Http1Connection(socket)
    let timer: NodeJS.Timeout | null = null
    let res: UpgradeResult
    try {
      const exchange = conn.upgrade({
        method: 'CONNECT',
        path: plan.authority,
        authority: plan.authority,
        scheme: 'http',
        headers: this.#headers,
        body: null,
        signal,
        sockRead: null, // the connect deadline bounds the wait instead
      })
      if (plan.timeoutMs !== null) {
        const limit = plan.timeoutMs
        const onTimeout = (): void => {
          conn.destroy(new ConnectTimeoutError(`Connecting to ${plan.authority} through the proxy ${proxyUrl} took longer than ${limit} ms`, limit))
        }
        const left = startedAt + limit - performance.now()
        if (left <= 0) onTimeout()
        else timer = setTimeout(onTimeout, left)
      }
      res = await exchange
    } catch (err) {
      conn.destroy()
      socket.destroy()
      throw handshakeError(err, proxyUrl, plan.authority)
    } finally {
      if (timer !== null) clearTimeout(timer)
    }

    if (res.socket === null) {
      // The answer's body says nothing we act on; the connection goes with it.
      res.body.cancel().catch(() => {})
      conn.destroy()
      socket.destroy()
      throw new ProxyError(`The proxy ${proxyUrl} answered ${res.status}${res.statusText === '' ? '' : ` ${res.statusText}`} to CONNECT ${plan.authority}`, res.status, {
        headers: res.headers,
      })
    }
    const tunnel = res.socket
    // Bytes the target sent right behind the proxy's answer, in the same read: first in line for
    // the tunnel's user.
    if (res.head.byteLength > 0) tunnel.unshift(res.head)
    return tunnel
  }
}

/** Checks `target` → InvalidArgumentError (nothing dialled yet). */
function planTunnel(target: TransportTarget): TunnelPlan {
  if (target === null || typeof target !== 'object') throw new InvalidArgumentError('A transport target must be an object')
  const { protocol, port } = target
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InvalidArgumentError(`protocol must be 'http:' or 'https:', got ${JSON.stringify(protocol)}`)
  }
  if (typeof target.hostname !== 'string') throw new InvalidArgumentError(`hostname must be a non-empty string, got ${JSON.stringify(target.hostname)}`)
  const bare = target.hostname.startsWith('[') && target.hostname.endsWith(']') ? target.hostname.slice(1, -1) : target.hostname
  const v6 = isIP(bare) === 6
  if (!v6 && !REG_NAME.test(bare)) throw new InvalidArgumentError(`hostname cannot be sent in a CONNECT request: ${JSON.stringify(target.hostname)}`)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`)
  return { authority: v6 ? `[${bare}]:${port}` : `${bare}:${port}`, timeoutMs: connectTimeoutOf(target.timeoutMs) }
}


/**
 * What a failed CONNECT exchange reports: the deadline and aborts as they are; the proxy hanging
 * up or failing the socket → ConnectError naming the proxy (cause kept); a malformed answer →
 * ProxyError (the parser error as cause).
 */
function handshakeError(err: unknown, proxyUrl: string, authority: string): Error {
  if (err instanceof ConnectTimeoutError || err instanceof AbortError || err instanceof InvalidArgumentError) return err
  const what = `CONNECT ${authority} through the proxy ${proxyUrl}`
  if (isSonicError(err) && err.code === 'SONIC_PARSE_ERROR') return new ProxyError(`The proxy ${proxyUrl} sent a malformed answer to CONNECT ${authority}`, undefined, { cause: err })
  const reason = err instanceof Error ? err.message : String(err)
  return new ConnectError(`${what} failed: ${reason}`, { cause: err })
}
