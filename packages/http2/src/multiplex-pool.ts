// SmartPool configured for sessions that carry many requests: a connection is lent to up to its
// `capacity` (the server's stream limit) borrowers, and acquires coalesce onto a connect in
// progress, so a burst of requests to a cold origin opens one session, not `size` of them.
import type { ConnectionFactory, PoolConfig, PoolConfigInit, PoolableConnection } from '@sonic/core'
import { SmartPool } from '@sonic/pool'

/**
 * A pool of HTTP/2 sessions (or any connection with a `capacity` above 1): each session is shared
 * by as many requests as the server's `SETTINGS_MAX_CONCURRENT_STREAMS` allows, another is opened
 * only when every session is at its limit, and concurrent acquires to an origin wait for the
 * connect already in progress instead of opening more (one connect for 500 cold requests). A
 * failed connect rejects the acquires that waited for it with the same error. `size` bounds the
 * sessions per pool.
 *
 * @example
 * import { TcpTransport } from '@sonic/transport'
 * import { Http2Connection, Http2MultiplexPool } from '@sonic/http2'
 * const transport = new TcpTransport()
 * const pool = new Http2MultiplexPool({ size: 4 }, async (origin, signal) => {
 *   const url = new URL(origin)
 *   const { socket } = await transport.connect({ protocol: 'https:', hostname: url.hostname, port: Number(url.port || 443), alpn: ['h2'] }, signal)
 *   return new Http2Connection(socket, { origin }).ready
 * })
 * const conn = await pool.acquire('https://example.com')
 * // … conn.request(…), read the body, then:
 * pool.release(conn)
 */
export class Http2MultiplexPool<C extends PoolableConnection> extends SmartPool<C> {
  constructor(config: PoolConfig | PoolConfigInit | undefined, factory: ConnectionFactory<C>) {
    super(config, factory, { coalesce: true })
  }
}
