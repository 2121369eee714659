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
  constructor(config: PoolConfig | PoolConfigInit | undefined, factory: ConnectionFactory<C>) {
    super(config, factory, true)
  }
}
