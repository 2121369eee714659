// What the Agent needs for HTTP/2, apart from agent.ts: the `http2` option's meaning, the
// connect that picks the protocol from ALPN (h2 → an Http2Connection, else HTTP/1.1; h2c with
// prior knowledge for http:), and the one retry of a stream the server never processed.
import { InvalidArgumentError, isStreamBody, type DispatchRequest, type HttpConnection } from '@sonic/core'
import { Http1Connection } from '@sonic/http1'
import { Http2Connection, Http2MultiplexPool, isRetryableHttp2Error } from '@sonic/http2'
import type { ConnectTimings, Transport } from '@sonic/transport'
import type { ConnectTarget, PoolClass } from './agent.js'
import type { ClientRequest } from './client-request.js'
import type { Deadline } from './deadline.js'

/** @internal The `http2` option, checked: false, true or 'auto'. */
export type Http2Mode = boolean | 'auto'

const ALPN_H2 = ['h2', 'http/1.1']

/** @internal Checks an `http2` option (undefined → false). */
export function http2Mode(value: unknown): Http2Mode {
  if (value === undefined || value === null) return false
  if (value === true || value === false || value === 'auto') return value
  throw new InvalidArgumentError(`http2 must be true, false or 'auto', got ${JSON.stringify(value)}`)
}

/** @internal Whether a request to `scheme` speaks HTTP/2: true always (h2c on http:), 'auto' on https: only. */
export function useHttp2(mode: unknown, scheme: 'http' | 'https'): boolean {
  const m = http2Mode(mode)
  return m === true || (m === 'auto' && scheme === 'https')
}

/** @internal */
export function h2PoolClass(): PoolClass {
  return Http2MultiplexPool as unknown as PoolClass
}

/** @internal */
export function isHttp2Session(conn: HttpConnection): boolean {
  return conn instanceof Http2Connection
}

/**
 * @internal Connects for an HTTP/2 pool: https: offers `h2, http/1.1` and speaks what the server
 * picked; http: speaks h2c with prior knowledge. Waits for the server's SETTINGS so the session's
 * capacity is known before the pool lends it.
 */
export async function h2Connect(
  transport: Transport,
  target: ConnectTarget,
  signal: AbortSignal | undefined,
  maxHeaderSize: number,
): Promise<{ conn: HttpConnection; alpn: string | null; timings: ConnectTimings | undefined }> {
  const https = target.protocol === 'https:'
  const c = await transport.connect(
    { protocol: target.protocol, hostname: target.hostname, port: target.port, tls: target.tls, alpn: ALPN_H2, timeoutMs: target.sockConnect },
    signal,
  )
  if (https && c.alpn !== 'h2') {
    // The server does not speak HTTP/2 (or did not say so): HTTP/1.1 on the same socket.
    return { conn: new Http1Connection(c.socket, { maxHeaderSize }), alpn: c.alpn, timings: c.timings }
  }
  const session = new Http2Connection(c.socket, {
    origin: target.origin,
    settingsTimeout: target.sockConnect ?? 10000,
    session: { maxHeaderListPairs: 2000, settings: { maxHeaderListSize: maxHeaderSize } },
  })
  const onAbort = () => session.destroy()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await session.ready
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  return { conn: session, alpn: https ? 'h2' : null, timings: c.timings }
}

/**
 * @internal The request to send once more when `err` says the server never processed it
 * (REFUSED_STREAM, above a GOAWAY's last stream id), or null: only once, only with a body that
 * can be sent again, not after the deadline fired or the request was aborted.
 */
export function retryOnH2(err: unknown, req: DispatchRequest): DispatchRequest | null {
  if (!isRetryableHttp2Error(err) || (req as { h2Retried?: boolean }).h2Retried === true) return null
  if (req.signal?.aborted === true) return null
  const c = req as Partial<ClientRequest>
  if (c.deadline?.fired === true) return null
  const body = req.body
  if (body !== null && isStreamBody(body) && (!body.replayable || c.replayable === false)) return null
  return { ...req, h2Retried: true } as DispatchRequest
}

/**
 * @internal The request with its deadline bound to its own stream: when the deadline expires it
 * aborts this request (its stream is reset with CANCEL) instead of destroying the shared session.
 */
export function streamDeadline(req: DispatchRequest, deadline: Deadline): DispatchRequest {
  const ac = new AbortController()
  deadline.use({ destroy: (err?: Error) => ac.abort(err) } as unknown as HttpConnection)
  const own = req.signal ?? null
  return { ...req, signal: own === null ? ac.signal : AbortSignal.any([own, ac.signal]) }
}
