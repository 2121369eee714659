// The contract the client (and anyone else) uses to borrow connections from a pool.
import type { PoolableConnection, PoolConfig } from '@sonic/core'

/** A snapshot of what a pool holds. `busy + idle + connecting` never exceeds `config.size`. */
export interface PoolStats {
  /** Connections lent to at least one borrower. */
  readonly busy: number
  /** Open connections without a borrower, waiting in the pool to be reused. */
  readonly idle: number
  /** Connections being created by the factory. */
  readonly connecting: number
  /** acquire() calls waiting for a slot. */
  readonly waiting: number
}

/**
 * A bounded set of reusable connections. A connection is lent to up to its `capacity` borrowers
 * at once (1 for HTTP/1.1, the peer's stream limit for HTTP/2); `size` bounds the connections.
 */
export interface Pool<C extends PoolableConnection> {
  /**
   * Borrows outstanding over all connections (acquires not yet released). Equal to `stats.busy`
   * when every connection carries one request at a time; more when connections are shared (HTTP/2).
   */
  readonly borrowed: number
  /**
   * Borrows a connection to `origin`: one that can take another borrower when there is one (a
   * shared busy connection with room, or an idle one), a new one while fewer than `size` exist,
   * else the next one with room (waiters are served in order). Rejects with
   * `PoolAcquireTimeoutError` after `timeoutMs` of waiting, `AbortError` when `signal` aborts,
   * `ClientClosedError` once the pool is closed, or the factory's error when connecting fails.
   * `context` goes to the factory if a connection is made for this acquire (e.g. the requester's
   * connect timeout), so such settings need no pool of their own.
   */
  acquire(origin: string, signal?: AbortSignal | null, timeoutMs?: number | null, context?: unknown): Promise<C>
  /**
   * Gives one borrow back; call it once per acquire(). The connection goes on to a waiter, or
   * becomes idle once its last borrower released it (it is destroyed instead when closed or used
   * up). Ignored for a connection the pool no longer holds (discarded, detached, closed).
   */
  release(conn: C): void
  /**
   * Destroys a connection (e.g. after an error) and frees its slot. On a shared connection every
   * borrower's exchange fails with it, and their later release() or discard() is ignored. Ignored
   * for a detached connection; a connection the pool never held is just destroyed.
   */
  discard(conn: C): void
  /**
   * Takes a connection out of the pool without destroying it (upgrades, tunnels): its slot and
   * borrows are freed and go to the next waiter, and the connection now belongs to the caller, who
   * must destroy it. Later release() and discard() of it are ignored and close() leaves it alone.
   * On a shared connection the other borrowers' exchanges go on, on a connection no longer
   * pooled. Ignored for a connection the pool does not hold.
   */
  detach(conn: C): void
  /**
   * Acquires that would not wait: `size - busy - connecting`, plus the room left on busy shared
   * connections (an idle or new connection counts once, whatever its capacity).
   */
  freeConns(): number
  /** True when nothing is busy or connecting and nobody waits. */
  isAllFree(): boolean
  /** Closes the idle connections. */
  cleanup(): Promise<void>
  /** Destroys every connection it holds; pending and later acquire() calls reject with ClientClosedError. */
  close(): Promise<void>
  readonly config: PoolConfig
  readonly stats: PoolStats
}
