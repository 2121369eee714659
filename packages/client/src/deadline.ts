// The requestTimeout of one request() call: one deadline for the whole redirect chain and the
// body. When it expires it destroys the connection the request is using (a pending acquire is
// bounded by the time left, passed to the pool).
//
// Deadlines of the same length expire in the order they were made, so they wait in one FIFO list
// per length, with one unref'd timer per list aimed at its oldest entry. Making or clearing a
// deadline is a list append or unlink; the timer is re-aimed only when it fires. (A setTimeout and
// clearTimeout per request cost more than the rest of the client's bookkeeping.)
import { RequestTimeoutError, type HttpConnection } from '@sonic/core'

/** The deadlines of one length, oldest first, and the timer aimed at the oldest. */
class DeadlineList {
  readonly ms: number
  head: Deadline | null = null
  tail: Deadline | null = null
  timer: NodeJS.Timeout | null = null
  /** fire() is running: it aims the timer itself when done. */
  #firing = false

  constructor(ms: number) {
    this.ms = ms
  }

  push(d: Deadline): void {
    d.prev = this.tail
    d.next = null
    if (this.tail === null) this.head = d
    else this.tail.next = d
    this.tail = d
    if (this.timer === null && !this.#firing) this.#arm(this.ms)
  }

  unlink(d: Deadline): void {
    if (d.prev === null) this.head = d.next
    else d.prev.next = d.next
    if (d.next === null) this.tail = d.prev
    else d.next.prev = d.prev
    d.prev = d.next = null
    // An empty list stops its timer; otherwise the timer stays aimed (at worst early) and re-aims when it fires.
    if (this.head === null && this.timer !== null && !this.#firing) {
      clearTimeout(this.timer)
      this.timer = null
    }
  }

  #arm(ms: number): void {
    this.timer = setTimeout(fireList, ms, this)
    this.timer.unref()
  }

  /** Expires every deadline that is due, then aims the timer at the next one. */
  fire(): void {
    this.timer = null
    this.#firing = true
    const now = performance.now()
    try {
      // An expiry may fail a request whose error path makes or clears deadlines: they only link here.
      for (let d = this.head; d !== null && d.end <= now; d = this.head) {
        this.unlink(d)
        d.expire()
      }
    } finally {
      this.#firing = false
      if (this.head !== null) this.#arm(Math.max(1, Math.ceil(this.head.end - performance.now())))
    }
  }
}

function fireList(list: DeadlineList): void {
  list.fire()
}

const lists = new Map<number, DeadlineList>()

/** @internal for tests: how many list timers are running (not exported by the package). */
export function runningDeadlineTimers(): number {
  let n = 0
  for (const list of lists.values()) if (list.timer !== null) n++
  return n
}

export class Deadline {
  readonly ms: number
  /** performance.now() at which it expires. */
  readonly end: number
  /** @internal list links */
  prev: Deadline | null = null
  next: Deadline | null = null
  #list: DeadlineList | null
  #error: RequestTimeoutError | null = null
  #conn: HttpConnection | null = null
  /** A connection was used under it (by an agent): the body's end, reported by bodyDone(), clears it. */
  #used = false
  /** The body of the exchange in use ended. */
  #done = false
  /** The head in use is the one handed to the caller. */
  #final = false

  constructor(ms: number) {
    this.ms = ms
    this.end = performance.now() + ms
    let list = lists.get(ms)
    if (list === undefined) {
      list = new DeadlineList(ms)
      lists.set(ms, list)
    }
    this.#list = list
    list.push(this)
  }

  get fired(): boolean {
    return this.#error !== null
  }

  /** ms left, at least 1 (for bounding a pool acquire). */
  remaining(): number {
    const left = Math.ceil(this.end - performance.now())
    return left > 1 ? left : 1
  }

  /** @internal called by its list when due */
  expire(): void {
    this.#list = null
    const err = this.error()
    if (this.#conn !== null) this.#conn.destroy(err)
  }

  /** The timeout error (created once). */
  error(): RequestTimeoutError {
    if (this.#error === null) this.#error = new RequestTimeoutError(`Request did not complete within ${this.ms} ms`, this.ms)
    return this.#error
  }

  /** The connection the request is using now (destroyed if the deadline expires). */
  use(conn: HttpConnection | null): void {
    this.#conn = conn
    if (conn !== null) {
      this.#used = true
      this.#done = false
      if (this.#error !== null) conn.destroy(this.#error)
    }
  }

  /** The body of the exchange in use ended (read, cancelled or failed); after the final head it ends the deadline. */
  bodyDone(): void {
    this.#conn = null
    this.#done = true
    if (this.#final) this.clear()
  }

  /**
   * The last head arrived and goes to the caller: the deadline now ends with its body. Without an
   * agent under it (a dispatcher that never reported a connection) it ends here.
   */
  markFinal(): void {
    this.#final = true
    if (this.#done || !this.#used) this.clear()
  }

  /** The error to surface: the timeout when it fired, else `err`. */
  map(err: unknown): unknown {
    return this.#error ?? err
  }

  clear(): void {
    if (this.#list !== null) {
      this.#list.unlink(this)
      this.#list = null
    }
    this.#conn = null
  }
}
