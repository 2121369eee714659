// The machinery both pools share: slots, borrows, waiters, idle timers, creation. SmartPool and
// CyclicQueuePool differ only in which free connection they hand out first.
//
// A connection may carry several requests at once (`capacity`: HTTP/2 streams). The pool lends it
// to up to `capacity` borrowers and counts the borrows per connection; `size` still bounds the
// connections. A busy connection whose capacity was seen other than 1 is also listed in
// `#shared`, where an acquire looks for room before it opens a connection. With capacity 1
// (HTTP/1.1) that list stays empty and the hot path is what it always was: an idle list pop or
// push, a few counters, no allocation and no closure per acquire or release.
import {
  ClientClosedError,
  InvalidArgumentError,
  PoolConfig,
  type ConnectionFactory,
  type PoolConfigInit,
  type PoolableConnection,
} from '@sonic/core'
import type { Pool, PoolStats } from './pool.js'
import { abortError, enqueue, newClaim, unwatch, type Claim } from './claim.js'
import { idleLifetime } from './idle-lifetime.js'

/** A connection the pool owns: busy (lent to one borrower or more) or idle (in `#idle`). */
interface Entry<C> {
  readonly conn: C
  readonly origin: string
  /** Borrowers holding it now; 0 when idle. */
  borrows: number
  /** Borrows handed out over its life; each counts as a request against `maxConnRequests`. */
  lent: number
  /** In `#idle`. */
  idle: boolean
  /** In `#shared`. */
  shared: boolean
  timer: NodeJS.Timeout | null
}

/**
 * Not part of the public API (the base class of SmartPool and CyclicQueuePool, so its declaration
 * ships): shared implementation; `lifo` picks the most recently released idle connection first.
 */
export abstract class BasePool<C extends PoolableConnection> implements Pool<C> {
  readonly config: PoolConfig
  readonly #factory: ConnectionFactory<C>
  readonly #lifo: boolean
  readonly #entries = new Map<C, Entry<C>>()
  /** Idle connections, oldest release first. */
  readonly #idle: Entry<C>[] = []
  /** Busy connections that may take more borrowers (capacity seen other than 1), oldest first. */
  readonly #shared: Entry<C>[] = []
  /** Where CyclicQueuePool's round-robin over `#shared` goes on. */
  #cursor = 0
  /** Connections handed over with detach(): their new owner's, so discard() leaves them alone. */
  readonly #detached = new WeakSet<C>()
  readonly #waiters: Claim<C>[] = []
  readonly #creating = new Set<Claim<C>>()
  /** Coalescing (connections that carry several requests): creates in progress per origin. */
  readonly #coalesce: boolean
  readonly #connectingTo = new Map<string, number>()
  #busy = 0
  #borrowed = 0
  #connecting = 0
  #closed = false
  readonly #onIdleTimeout = (entry: Entry<C>): void => {
    entry.timer = null
    if (entry.idle && this.#entries.get(entry.conn) === entry) this.#drop(entry)
  }

  protected constructor(config: PoolConfig | PoolConfigInit | undefined, factory: ConnectionFactory<C>, lifo: boolean, coalesce = false) {
    if (typeof factory !== 'function') throw new InvalidArgumentError('A pool needs a connection factory function')
    this.config = PoolConfig.from(config)
    this.#factory = factory
    this.#lifo = lifo
    this.#coalesce = coalesce
  }

  get stats(): PoolStats {
    return { busy: this.#busy, idle: this.#idle.length, connecting: this.#connecting, waiting: this.#waiters.length }
  }

  get borrowed(): number {
    return this.#borrowed
  }

  acquire(origin: string, signal: AbortSignal | null = null, timeoutMs: number | null = null, context?: unknown): Promise<C> {
    if (typeof origin !== 'string' || origin.length === 0) {
      return Promise.reject(new InvalidArgumentError(`origin must be a non-empty string, got ${JSON.stringify(origin)}`))
    }
    if (timeoutMs !== null && timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs < Infinity)) {
      return Promise.reject(new InvalidArgumentError(`timeoutMs must be a non-negative number of ms or null, got ${String(timeoutMs)}`))
    }
    if (this.#closed) return Promise.reject(new ClientClosedError('The pool is closed'))
    if (signal?.aborted) return Promise.reject(abortError(signal))
    // A shared connection's capacity may have grown since the pool last looked: the queue goes first.
    if (this.#waiters.length > 0 && this.#shared.length > 0) this.#dispatch()
    // Waiters come first: a newcomer never overtakes them.
    if (this.#waiters.length === 0) {
      const entry = this.#takeFree(origin)
      if (entry !== null) return Promise.resolve(entry.conn)
      // Coalescing: while a connection to this origin is on its way, wait for a share of it.
      const coalesced = this.#coalesce && this.#connectingTo.has(origin)
      if (!coalesced && (this.#connecting + this.#entries.size < this.config.size || this.#evictIdle())) {
        return new Promise((resolve, reject) => this.#create(newClaim(origin, signal, context, resolve, reject)))
      }
    }
    return new Promise((resolve, reject) => enqueue(this.#waiters, newClaim(origin, signal, context, resolve, reject), timeoutMs ?? null))
  }

  release(conn: C): void {
    const entry = this.#entries.get(conn)
    // Not ours, not borrowed, detached or dropped: ignored, so counts stay right.
    if (entry === undefined || entry.borrows === 0) return
    this.#borrowed--
    if (--entry.borrows === 0) {
      this.#busy--
      this.#checkIn(entry)
    } else if (this.#waiters.length > 0) {
      this.#dispatch() // a shared connection has a borrow slot back
    }
  }

  discard(conn: C): void {
    const entry = this.#entries.get(conn)
    if (entry === undefined) {
      // A detached connection belongs to its new owner; any other stranger is destroyed.
      if (!this.#detached.has(conn)) conn.destroy()
      return
    }
    this.#drop(entry)
    this.#dispatch()
  }

  detach(conn: C): void {
    const entry = this.#entries.get(conn)
    if (entry === undefined) return
    const wasIdle = entry.idle
    this.#forget(entry)
    this.#detached.add(conn)
    if (wasIdle) conn.setIdle(false) // handed over as a borrowed one is
    this.#dispatch()
  }

  freeConns(): number {
    let free = this.config.size - this.#busy - this.#connecting
    const shared = this.#shared
    for (let i = 0; i < shared.length; i++) free += this.#room(shared[i] as Entry<C>)
    return free
  }

  isAllFree(): boolean {
    return this.#busy === 0 && this.#connecting === 0 && this.#waiters.length === 0
  }

  async cleanup(): Promise<void> {
    while (this.#idle.length > 0) this.#drop(this.#idle[this.#idle.length - 1] as Entry<C>)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const closed = () => new ClientClosedError('The pool is closed')
    for (const w of this.#waiters.splice(0)) {
      unwatch(w)
      w.settled = true
      w.reject(closed())
    }
    for (const c of this.#creating) {
      if (c.settled) continue
      unwatch(c)
      c.settled = true
      c.reject(closed())
    }
    // Busy connections learn why they die: their pending requests fail with ClientClosedError.
    for (const entry of [...this.#entries.values()]) this.#drop(entry, entry.borrows > 0 ? closed() : undefined)
  }

  /**
   * Lends a live connection to `origin` that can take a borrower now, or null. SmartPool fills busy
   * connections before it wakes an idle one (the load stays on few connections); CyclicQueuePool
   * takes an idle one first (the load spreads over all of them).
   */
  #takeFree(origin: string): Entry<C> | null {
    if (this.#lifo) return (this.#shared.length > 0 ? this.#takeShared(origin) : null) ?? this.#takeIdle(origin)
    return this.#takeIdle(origin) ?? (this.#shared.length > 0 ? this.#takeShared(origin) : null)
  }

  /** Lends a busy connection to `origin` with room: SmartPool the oldest one, CyclicQueuePool round-robin. */
  #takeShared(origin: string): Entry<C> | null {
    const shared = this.#shared
    const n = shared.length
    const start = this.#lifo ? 0 : this.#cursor % n
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n
      const entry = shared[i] as Entry<C>
      if (entry.origin !== origin || this.#room(entry) === 0) continue
      if (!this.#lifo) this.#cursor = i + 1
      this.#lend(entry)
      return entry
    }
    return null
  }

  /** Borrowers `entry` can take now: capacity left, bounded by what maxConnRequests leaves. */
  #room(entry: Entry<C>): number {
    const conn = entry.conn
    if (conn.closed) return 0
    const capacity = conn.capacity
    let room = (capacity === undefined ? 1 : capacity) - entry.borrows
    const max = this.config.maxConnRequests
    if (max !== null) room = Math.min(room, max - Math.max(conn.requestCount, entry.lent))
    return room >= 1 ? Math.floor(room) : 0 // NaN too
  }

  /** Counts one more borrower of `entry`, and lists it in `#shared` when it can carry several. */
  #lend(entry: Entry<C>): void {
    if (entry.borrows++ === 0) this.#busy++
    entry.lent++
    this.#borrowed++
    if (entry.shared) return
    const capacity = entry.conn.capacity
    if (capacity !== undefined && capacity !== 1) {
      entry.shared = true
      this.#shared.push(entry)
    }
  }

  /** Takes an idle connection to `origin` (most or least recently released first), dropping dead ones. */
  #takeIdle(origin: string): Entry<C> | null {
    const idle = this.#idle
    let i = this.#lifo ? idle.length - 1 : 0
    while (i >= 0 && i < idle.length) {
      const entry = idle[i] as Entry<C>
      if (entry.origin !== origin) {
        i += this.#lifo ? -1 : 1
        continue
      }
      if (entry.conn.closed) {
        this.#drop(entry) // removes it from `idle`; the same index now holds the next candidate
        if (this.#lifo) i--
        continue
      }
      const capacity = entry.conn.capacity
      if (capacity !== undefined && !(capacity >= 1)) {
        i += this.#lifo ? -1 : 1 // takes nobody at the moment
        continue
      }
      idle.splice(i, 1)
      if (entry.timer !== null) clearTimeout(entry.timer)
      entry.timer = null
      entry.idle = false
      this.#lend(entry)
      entry.conn.setIdle(false)
      return entry
    }
    return null
  }

  /** Frees a slot held by an idle connection to another origin (the oldest); false when none. */
  #evictIdle(): boolean {
    const oldest = this.#idle[0]
    if (oldest === undefined) return false
    this.#drop(oldest)
    return true
  }

  /** Opens a connection for `claim` in a slot already reserved for it. */
  #create(claim: Claim<C>): void {
    this.#connecting++
    this.#creating.add(claim)
    if (this.#coalesce) this.#connectingTo.set(claim.origin, (this.#connectingTo.get(claim.origin) ?? 0) + 1)
    if (claim.signal !== null) {
      const signal = claim.signal
      // The acquirer stops waiting at once; the connection, if it still comes, serves others.
      claim.onAbort = () => {
        if (claim.settled) return
        claim.settled = true
        unwatch(claim)
        claim.reject(abortError(signal))
      }
      signal.addEventListener('abort', claim.onAbort, { once: true })
    }
    let pending: Promise<C>
    try {
      pending = this.#factory(claim.origin, claim.signal ?? undefined, claim.context)
    } catch (err) {
      pending = Promise.reject(err)
    }
    pending.then(
      (conn) => this.#created(claim, conn),
      (err: unknown) => this.#failed(claim, err),
    )
  }

  #created(claim: Claim<C>, conn: C): void {
    this.#connecting--
    this.#creating.delete(claim)
    if (this.#coalesce) this.#doneConnecting(claim.origin)
    unwatch(claim)
    if (this.#closed) {
      conn.destroy()
      return
    }
    const entry: Entry<C> = { conn, origin: claim.origin, borrows: 0, lent: 0, idle: false, shared: false, timer: null }
    this.#entries.set(conn, entry)
    if (!claim.settled) {
      claim.settled = true
      this.#lend(entry)
      claim.resolve(conn)
      if (this.#waiters.length > 0) this.#serve(entry) // a connection that carries several serves the queue too
    } else {
      this.#checkIn(entry)
    }
    // Coalesced waiters the new connection had no room for: open the next one (one at a time).
    if (this.#coalesce && this.#waiters.length > 0) this.#dispatch()
  }

  #doneConnecting(origin: string): void {
    const n = (this.#connectingTo.get(origin) ?? 1) - 1
    if (n > 0) this.#connectingTo.set(origin, n)
    else this.#connectingTo.delete(origin)
  }

  #failed(claim: Claim<C>, err: unknown): void {
    this.#connecting--
    this.#creating.delete(claim)
    unwatch(claim)
    if (!claim.settled) {
      claim.settled = true
      claim.reject(err)
    }
    if (this.#coalesce) {
      this.#doneConnecting(claim.origin)
      // The waiters that coalesced onto this connect share its failure (no herd of retries).
      if (!this.#connectingTo.has(claim.origin)) this.#rejectWaiters(claim.origin, err)
    }
    this.#dispatch()
  }

  /** Rejects every waiter for `origin` with `err`. */
  #rejectWaiters(origin: string, err: unknown): void {
    const waiters = this.#waiters
    for (let i = 0; i < waiters.length; ) {
      const w = waiters[i] as Claim<C>
      if (w.origin !== origin) {
        i++
        continue
      }
      waiters.splice(i, 1)
      unwatch(w)
      w.settled = true
      w.reject(err)
    }
  }

  /** A connection without borrowers comes back: to the first waiters, to the idle list, or away. */
  #checkIn(entry: Entry<C>): void {
    const conn = entry.conn
    const max = this.config.maxConnRequests
    if (this.#closed || conn.closed || (max !== null && Math.max(conn.requestCount, entry.lent) >= max)) {
      this.#drop(entry)
      this.#dispatch()
      return
    }
    if (this.#waiters.length > 0) {
      this.#serve(entry) // handed straight over, no setIdle round trip
      if (entry.borrows > 0) return
      // The first waiter wants another origin (or the connection takes nobody): the slot moves on.
      this.#drop(entry)
      this.#dispatch()
      return
    }
    if (entry.shared) this.#unshare(entry)
    const life = idleLifetime(this.config.maxConnIdleMs, conn.keepAliveTimeout)
    if (life <= 0) {
      this.#drop(entry)
      return
    }
    entry.idle = true
    this.#idle.push(entry)
    conn.setIdle(true)
    entry.timer = setTimeout(this.#onIdleTimeout, life, entry)
    entry.timer.unref()
  }

  /** Lends `entry` to the waiters at the head of the queue while they want its origin and it has room. */
  #serve(entry: Entry<C>): void {
    const waiters = this.#waiters
    while (waiters.length > 0 && (waiters[0] as Claim<C>).origin === entry.origin && this.#room(entry) > 0) {
      const w = waiters.shift() as Claim<C>
      unwatch(w)
      w.settled = true
      this.#lend(entry)
      w.resolve(entry.conn)
    }
  }

  #unshare(entry: Entry<C>): void {
    const i = this.#shared.indexOf(entry)
    if (i >= 0) {
      this.#shared.splice(i, 1)
      if (i < this.#cursor) this.#cursor--
    }
    entry.shared = false
  }

  /** Frees the slot of a connection and its borrows without touching the connection; false if not ours. */
  #forget(entry: Entry<C>): boolean {
    if (this.#entries.get(entry.conn) !== entry) return false
    this.#entries.delete(entry.conn)
    if (entry.idle) {
      const i = this.#idle.indexOf(entry)
      if (i >= 0) this.#idle.splice(i, 1)
      if (entry.timer !== null) clearTimeout(entry.timer)
      entry.timer = null
      entry.idle = false
    }
    if (entry.borrows > 0) {
      this.#busy--
      this.#borrowed -= entry.borrows
      entry.borrows = 0 // its borrowers' later releases are ignored
    }
    if (entry.shared) this.#unshare(entry)
    return true
  }

  /** Forgets a connection, frees its slot and destroys it. */
  #drop(entry: Entry<C>, reason?: Error): void {
    if (this.#forget(entry)) entry.conn.destroy(reason)
  }

  /** Serves the queue in order: room on a live connection, else a free (or freeable) slot for a new one. */
  #dispatch(): void {
    const waiters = this.#waiters
    while (waiters.length > 0) {
      const w = waiters[0] as Claim<C>
      const entry = this.#takeFree(w.origin)
      // Coalescing: the head waits for the connection already on its way to its origin.
      if (entry === null && this.#coalesce && this.#connectingTo.has(w.origin)) return
      if (entry === null && this.#connecting + this.#entries.size >= this.config.size && !this.#evictIdle()) return
      waiters.shift()
      unwatch(w)
      if (entry === null) {
        this.#create(w)
      } else {
        w.settled = true
        w.resolve(entry.conn)
      }
    }
  }
}
