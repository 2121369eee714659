import type { ConnectionFactory, PoolConfig, PoolConfigInit, PoolableConnection } from '@sonic/core'
import { BasePool } from './base-pool.js'

/**
 * A pool that reuses the most recently released live connection first (LIFO). The hot
 * connections stay warm (TCP window, TLS session) and the rarely used ones age out through
 * `maxConnIdleMs`, so the pool shrinks back when the load drops.
 *
 * @example
 * // dial: (origin, signal) => a PoolableConnection, e.g. a transport's socket in an Http1Connection
 * const pool = new SmartPool({ size: 10 }, dial)
 * const conn = await pool.acquire('https://example.com:443', signal, 5000)
 * try {
 *   await useIt(conn)
 *   pool.release(conn)
 * } catch (err) {
 *   pool.discard(conn)
 *   throw err
 * }
 */
export class SmartPool<C extends PoolableConnection> extends BasePool<C> {
  constructor(config: PoolConfig | PoolConfigInit | undefined, factory: ConnectionFactory<C>, options?: SmartPoolOptions) {
    super(config, factory, true, options?.coalesce === true)
  }
}

/** How a SmartPool opens connections. */
export interface SmartPoolOptions {
  /**
   * While a connection to an origin is being made, later acquires for that origin wait for a share
   * of it instead of opening more (one connect per origin at a time; the next one only when the
   * made connections have no room left). Meant for connections that carry several requests at
   * once (HTTP/2): 500 requests on a cold origin make one connect, not `size`. When that connect
   * fails, the acquires waiting for it reject with the same error.
   * @default false
   */
  coalesce?: boolean
}
