// One acquire() in flight: waiting in the pool's queue, or waiting for its connection to be made.
// Its timeout and abort listener are set up only when it has to wait, never on the hot path.
import { AbortError, PoolAcquireTimeoutError } from '@sonic/core'

/** @internal One acquire() that is waiting for a slot, or whose connection is being created. */
export interface Claim<C> {
  readonly origin: string
  readonly signal: AbortSignal | null
  /** Passed to the factory when this claim's connection is made. */
  readonly context: unknown
  readonly resolve: (conn: C) => void
  readonly reject: (err: unknown) => void
  timer: NodeJS.Timeout | null
  onAbort: (() => void) | null
  settled: boolean
}

/** @internal */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason })
}

/** @internal */
export function newClaim<C>(origin: string, signal: AbortSignal | null, context: unknown, resolve: (conn: C) => void, reject: (err: unknown) => void): Claim<C> {
  return { origin, signal, context, resolve, reject, timer: null, onAbort: null, settled: false }
}

/** @internal Stops the claim's timer and abort listener. */
export function unwatch<C>(claim: Claim<C>): void {
  if (claim.timer !== null) clearTimeout(claim.timer)
  claim.timer = null
  if (claim.onAbort !== null) claim.signal?.removeEventListener('abort', claim.onAbort)
  claim.onAbort = null
}

/**
 * @internal Puts `w` at the end of `queue`. After `timeoutMs`, or when its signal aborts, it leaves
 * the queue at once and rejects (PoolAcquireTimeoutError, AbortError): it is never served later.
 */
export function enqueue<C>(queue: Claim<C>[], w: Claim<C>, timeoutMs: number | null): void {
  const giveUp = (err: unknown) => {
    const i = queue.indexOf(w)
    if (i < 0) return
    queue.splice(i, 1)
    unwatch(w)
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
  queue.push(w)
}
