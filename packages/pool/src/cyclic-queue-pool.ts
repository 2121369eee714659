import type { ConnectionFactory, PoolConfig, PoolConfigInit, PoolableConnection } from '@sonic/core'
import { BasePool } from './base-pool.js'

/**
 * A pool that hands its idle connections out round-robin (FIFO): the connection released the
 * longest ago goes first, so the load spreads evenly over every open connection (useful behind
 * a load balancer that balances per connection).
 *
 * @example
 * const pool = new CyclicQueuePool({ size: 4 }, dial) // dial: (origin, signal) => a PoolableConnection
 * const conn = await pool.acquire('http://10.0.0.5:8080')
 * pool.release(conn)
 */
export class CyclicQueuePool<C extends PoolableConnection> extends BasePool<C> {
  constructor(config: PoolConfig | PoolConfigInit | undefined, factory: ConnectionFactory<C>) {
    super(config, factory, false)
  }
}
