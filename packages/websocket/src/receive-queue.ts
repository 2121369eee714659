// Messages waiting for receive(): a bounded queue (the connection pauses its socket while it is
// full and resumes it once it drains), the receive() calls waiting for one, each with its own
// timeout and AbortSignal, and the end: a last message handed out again and again (the close)
// or an error every later receive() rejects with.
import { AbortError, ReadTimeoutError, InvalidArgumentError } from '@sonic/core'

interface Waiter<T> {
  resolve: (v: T) => void
  reject: (err: unknown) => void
  timer: NodeJS.Timeout | null
  signal: AbortSignal | null
  onAbort: (() => void) | null
}

/** Options of one receive(). */
export interface ReceiveOptions {
  /**
   * Longest wait for a message, in ms → ReadTimeoutError (the connection stays open).
   * @default null (no limit)
   */
  timeout?: number | null
  /** Aborting it rejects this receive() with AbortError (the connection stays open). */
  signal?: AbortSignal | null
}

export class ReceiveQueue<T> {
  #items: T[] = []
  #head = 0
  #waiters: Waiter<T>[] = []
  #final: T | null = null
  #error: unknown = null
  readonly #onDrain: () => void
  readonly #low: number

  /** `onDrain` is called when the queue shrinks to `low` items. */
  constructor(low: number, onDrain: () => void) {
    this.#low = low
    this.#onDrain = onDrain
  }

  /** Messages waiting. */
  get length(): number {
    return this.#items.length - this.#head
  }

  /** True once end() or fail() was called. */
  get ended(): boolean {
    return this.#final !== null || this.#error !== null
  }

  /** Hands `item` to the first waiting receive(), or queues it; returns the queue length. */
  push(item: T): number {
    const w = this.#waiters.shift()
    if (w !== undefined) {
      this.#settle(w)
      w.resolve(item)
      return this.length
    }
    this.#items.push(item)
    return this.length
  }

  /** After the queued items, every receive() gets `final`. */
  end(final: T): void {
    if (this.ended) return
    this.#final = final
    this.#flushWaiters()
  }

  /** After the queued items, every receive() rejects with `err`. */
  fail(err: unknown): void {
    if (this.ended) return
    this.#error = err
    this.#flushWaiters()
  }

  /** Drops the queued items (close() discards what nobody read). */
  clear(): void {
    this.#items = []
    this.#head = 0
  }

  next(opts?: ReceiveOptions): Promise<T> {
    if (this.#head < this.#items.length) return Promise.resolve(this.#take())
    if (this.#final !== null) return Promise.resolve(this.#final)
    if (this.#error !== null) return Promise.reject(this.#error)
    const timeout = opts?.timeout ?? null
    const signal = opts?.signal ?? null
    if (timeout !== null && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2 ** 31 - 1)) {
      return Promise.reject(new InvalidArgumentError('receive timeout must be a positive number of ms or null'))
    }
    if (signal !== null && signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = { resolve, reject, timer: null, signal, onAbort: null }
      if (timeout !== null) {
        w.timer = setTimeout(() => {
          this.#drop(w)
          reject(new ReadTimeoutError(`No WebSocket message within ${timeout} ms`, timeout))
        }, timeout)
      }
      if (signal !== null) {
        w.onAbort = () => {
          this.#drop(w)
          reject(new AbortError(undefined, { cause: signal.reason }))
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.#waiters.push(w)
    })
  }

  #take(): T {
    const item = this.#items[this.#head]!
    this.#items[this.#head++] = undefined as T
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head >= 1024) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    if (this.length === this.#low) this.#onDrain()
    return item
  }

  #drop(w: Waiter<T>): void {
    const i = this.#waiters.indexOf(w)
    if (i >= 0) this.#waiters.splice(i, 1)
    this.#settle(w)
  }

  #settle(w: Waiter<T>): void {
    if (w.timer !== null) clearTimeout(w.timer)
    if (w.onAbort !== null) w.signal!.removeEventListener('abort', w.onAbort)
    w.timer = null
    w.onAbort = null
  }

  #flushWaiters(): void {
    // Waiters exist only while nothing is queued.
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) {
      this.#settle(w)
      if (this.#final !== null) w.resolve(this.#final)
      else w.reject(this.#error)
    }
  }
}
