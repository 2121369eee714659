// The contract the client (and anyone else) uses to borrow connections from a pool.
import type { PoolableConnection, PoolConfig } from '@sonic/core'

/** A snapshot of what a pool holds. `busy + idle + connecting` never exceeds `config.size`. */
export interface PoolStats {
  /** Connections handed out and not yet released. */
  readonly busy: number
  /** Open connections waiting in the pool to be reused. */
  readonly idle: number
  /** Connections being created by the factory. */
  readonly connecting: number
  /** acquire() calls waiting for a slot. */
  readonly waiting: number
}

/** A bounded set of reusable connections. */
export interface Pool<C extends PoolableConnection> {
  /**
   * Borrows a connection to `origin`: an idle one when there is one, a new one while fewer than
   * `size` exist, else the next one released (waiters are served in order). Rejects with
   * `PoolAcquireTimeoutError` after `timeoutMs` of waiting, `AbortError` when `signal` aborts,
   * `ClientClosedError` once the pool is closed, or the factory's error when connecting fails.
   */
  acquire(origin: string, signal?: AbortSignal | null, timeoutMs?: number | null): Promise<C>
  /** Gives a connection back for reuse (it is destroyed instead when closed or used up). */
  release(conn: C): void
  /** Destroys a borrowed connection (e.g. after an error) and frees its slot. */
  discard(conn: C): void
  /** Slots that can be acquired without waiting: `size - busy - connecting`. */
  freeConns(): number
  /** True when nothing is busy or connecting and nobody waits. */
  isAllFree(): boolean
  /** Closes the idle connections. */
  cleanup(): Promise<void>
  /** Destroys every connection; pending and later acquire() calls reject with ClientClosedError. */
  close(): Promise<void>
  readonly config: PoolConfig
  readonly stats: PoolStats
}
