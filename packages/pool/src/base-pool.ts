// The machinery both pools share: slots, waiters, idle timers, creation. SmartPool and
// CyclicQueuePool differ only in which idle connection they hand out first.
import {
  AbortError,
  ClientClosedError,
  InvalidArgumentError,
  PoolAcquireTimeoutError,
  PoolConfig,
  type ConnectionFactory,
  type PoolConfigInit,
  type PoolableConnection,
} from '@sonic/core'
import type { Pool, PoolStats } from './pool.js'
import { idleLifetime } from './idle-lifetime.js'

/** A connection the pool owns: busy (handed out) or idle (in `#idle`). */
interface Entry<C> {
  readonly conn: C
  readonly origin: string
  idle: boolean
  timer: NodeJS.Timeout | null
}

/** One acquire() that is waiting for a slot, or whose connection is being created. */
interface Claim<C> {
  readonly origin: string
  readonly signal: AbortSignal | null
  readonly resolve: (conn: C) => void
  readonly reject: (err: unknown) => void
  timer: NodeJS.Timeout | null
  onAbort: (() => void) | null
  settled: boolean
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason })
}

/** @internal Shared implementation; `lifo` picks the most recently released idle connection first. */
export abstract class BasePool<C extends PoolableConnection> implements Pool<C> {
  readonly config: PoolConfig
  readonly #factory: ConnectionFactory<C>
  readonly #lifo: boolean
  readonly #entries = new Map<C, Entry<C>>()
  /** Idle connections, oldest release first. */
  readonly #idle: Entry<C>[] = []
  readonly #waiters: Claim<C>[] = []
  readonly #creating = new Set<Claim<C>>()
  #busy = 0
  #connecting = 0
  #closed = false
  readonly #onIdleTimeout = (entry: Entry<C>): void => {
    entry.timer = null
    if (entry.idle && this.#entries.get(entry.conn) === entry) this.#drop(entry)
  }

  protected constructor(config: PoolConfig | PoolConfigInit | undefined, factory: ConnectionFactory<C>, lifo: boolean) {
    if (typeof factory !== 'function') throw new InvalidArgumentError('A pool needs a connection factory function')
    this.config = PoolConfig.from(config)
    this.#factory = factory
    this.#lifo = lifo
  }

  get stats(): PoolStats {
    return { busy: this.#busy, idle: this.#idle.length, connecting: this.#connecting, waiting: this.#waiters.length }
  }

  acquire(origin: string, signal: AbortSignal | null = null, timeoutMs: number | null = null): Promise<C> {
    if (typeof origin !== 'string' || origin.length === 0) {
      return Promise.reject(new InvalidArgumentError(`origin must be a non-empty string, got ${JSON.stringify(origin)}`))
    }
    if (timeoutMs !== null && timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs < Infinity)) {
      return Promise.reject(new InvalidArgumentError(`timeoutMs must be a non-negative number of ms or null, got ${String(timeoutMs)}`))
    }
    if (this.#closed) return Promise.reject(new ClientClosedError('The pool is closed'))
    if (signal?.aborted) return Promise.reject(abortError(signal))
    // Waiters come first: a newcomer never overtakes them.
    if (this.#waiters.length === 0) {
      const entry = this.#takeIdle(origin)
      if (entry !== null) return Promise.resolve(entry.conn)
      if (this.#connecting + this.#entries.size < this.config.size || this.#evictIdle()) {
        return new Promise((resolve, reject) => this.#create(this.#claim(origin, signal, resolve, reject)))
      }
    }
    return new Promise((resolve, reject) => this.#wait(this.#claim(origin, signal, resolve, reject), timeoutMs ?? null))
  }

  release(conn: C): void {
    const entry = this.#entries.get(conn)
    // Not ours, already released or already dropped: ignored, so counts stay right.
    if (entry === undefined || entry.idle) return
    this.#checkIn(entry)
  }

  discard(conn: C): void {
    const entry = this.#entries.get(conn)
    if (entry === undefined) {
      conn.destroy()
      return
    }
    this.#drop(entry)
    this.#dispatch()
  }

  freeConns(): number {
    return this.config.size - this.#busy - this.#connecting
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
      this.#unwatch(w)
      w.settled = true
      w.reject(closed())
    }
    for (const c of this.#creating) {
      if (c.settled) continue
      this.#unwatch(c)
      c.settled = true
      c.reject(closed())
    }
    // Busy connections learn why they die: their pending request fails with ClientClosedError.
    for (const entry of [...this.#entries.values()]) this.#drop(entry, entry.idle ? undefined : closed())
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
      idle.splice(i, 1)
      if (entry.timer !== null) clearTimeout(entry.timer)
      entry.timer = null
      entry.idle = false
      this.#busy++
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

  #claim(origin: string, signal: AbortSignal | null, resolve: (conn: C) => void, reject: (err: unknown) => void): Claim<C> {
    return { origin, signal, resolve, reject, timer: null, onAbort: null, settled: false }
  }

  #unwatch(claim: Claim<C>): void {
    if (claim.timer !== null) clearTimeout(claim.timer)
    claim.timer = null
    if (claim.onAbort !== null) claim.signal?.removeEventListener('abort', claim.onAbort)
    claim.onAbort = null
  }

  #wait(w: Claim<C>, timeoutMs: number | null): void {
    const giveUp = (err: unknown) => {
      const i = this.#waiters.indexOf(w)
      if (i < 0) return
      this.#waiters.splice(i, 1)
      this.#unwatch(w)
      w.settled = true
      w.reject(err)
    }
    if (timeoutMs !== null) {
      w.timer = setTimeout(() => {
        giveUp(new PoolAcquireTimeoutError(`No connection to ${w.origin} became free within ${timeoutMs} ms`, timeoutMs))
      }, timeoutMs)
    }
    if (w.signal !== null) {
      const signal = w.signal
      w.onAbort = () => giveUp(abortError(signal))
      signal.addEventListener('abort', w.onAbort, { once: true })
    }
    this.#waiters.push(w)
  }

  /** Opens a connection for `claim` in a slot already reserved for it. */
  #create(claim: Claim<C>): void {
    this.#connecting++
    this.#creating.add(claim)
    if (claim.signal !== null) {
      const signal = claim.signal
      // The acquirer stops waiting at once; the connection, if it still comes, serves others.
      claim.onAbort = () => {
        if (claim.settled) return
        claim.settled = true
        this.#unwatch(claim)
        claim.reject(abortError(signal))
      }
      signal.addEventListener('abort', claim.onAbort, { once: true })
    }
    let pending: Promise<C>
    try {
      pending = this.#factory(claim.origin, claim.signal ?? undefined)
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
    this.#unwatch(claim)
    if (this.#closed) {
      conn.destroy()
      return
    }
    const entry: Entry<C> = { conn, origin: claim.origin, idle: false, timer: null }
    this.#entries.set(conn, entry)
    this.#busy++
    if (!claim.settled) {
      claim.settled = true
      claim.resolve(conn)
    } else {
      this.#checkIn(entry)
    }
  }

  #failed(claim: Claim<C>, err: unknown): void {
    this.#connecting--
    this.#creating.delete(claim)
    this.#unwatch(claim)
    if (!claim.settled) {
      claim.settled = true
      claim.reject(err)
    }
    this.#dispatch()
  }

  /** A busy connection comes back: to the first waiter, to the idle list, or away. */
  #checkIn(entry: Entry<C>): void {
    const conn = entry.conn
    const max = this.config.maxConnRequests
    if (this.#closed || conn.closed || (max !== null && conn.requestCount >= max)) {
      this.#drop(entry)
      this.#dispatch()
      return
    }
    const w = this.#waiters.shift()
    if (w !== undefined) {
      this.#unwatch(w)
      if (w.origin === entry.origin) {
        w.settled = true
        w.resolve(conn) // stays busy
      } else {
        this.#drop(entry) // the slot moves to the waiter's origin
        this.#create(w)
      }
      return
    }
    const life = idleLifetime(this.config.maxConnIdleMs, conn.keepAliveTimeout)
    if (life <= 0) {
      this.#drop(entry)
      return
    }
    entry.idle = true
    this.#busy--
    this.#idle.push(entry)
    conn.setIdle(true)
    entry.timer = setTimeout(this.#onIdleTimeout, life, entry)
    entry.timer.unref()
  }

  /** Forgets a connection, frees its slot and destroys it. */
  #drop(entry: Entry<C>, reason?: Error): void {
    if (this.#entries.get(entry.conn) !== entry) return
    this.#entries.delete(entry.conn)
    if (entry.idle) {
      const i = this.#idle.indexOf(entry)
      if (i >= 0) this.#idle.splice(i, 1)
      if (entry.timer !== null) clearTimeout(entry.timer)
      entry.timer = null
      entry.idle = false
    } else {
      this.#busy--
    }
    entry.conn.destroy(reason)
  }

  /** Gives freed slots to waiters, in order. */
  #dispatch(): void {
    while (this.#waiters.length > 0 && this.#connecting + this.#entries.size < this.config.size) {
      const w = this.#waiters.shift() as Claim<C>
      this.#unwatch(w)
      this.#create(w)
    }
  }
}
