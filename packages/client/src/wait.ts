// An abortable sleep, for the retry backoff and MockAgent's delay().
import { AbortError } from '@sonic/core'

/** Resolves after `ms`; an abort of `signal` rejects with AbortError at once. Leaves no timer or listener. */
export function wait(ms: number, signal: AbortSignal | null): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new AbortError(undefined, { cause: signal!.reason }))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
