// One phase of opening a connection (TCP or unix connect, TLS handshake): wait for the socket's
// ready event, bounded by the attempt's deadline and AbortSignal. Whatever happens, the phase's
// listeners, timer and abort listener are gone when it settles; on failure the socket is destroyed.
import { performance } from 'node:perf_hooks'
import type { Duplex } from 'node:stream'
import { AbortError, ConnectError, ConnectTimeoutError, DnsError } from '@sonic/core'

/** When a whole connect attempt must be done: one limit across all its phases. */
export interface Deadline {
  /** The limit, in ms (what ConnectTimeoutError reports). */
  readonly timeoutMs: number
  /** performance.now() at which it expires. */
  readonly endsAt: number
}

/** The deadline of an attempt that began at `startedAt`, or null for no limit. */
export function deadlineOf(timeoutMs: number | null, startedAt = performance.now()): Deadline | null {
  return timeoutMs === null ? null : { timeoutMs, endsAt: startedAt + timeoutMs }
}

export interface Phase {
  /** The event that ends the phase. */
  readonly ready: 'connect' | 'secureConnect'
  /** `host:port` (or a socket path) for messages. */
  readonly label: string
  readonly deadline: Deadline | null
  readonly signal: AbortSignal | null
  /** The error to reject with for a socket error. */
  readonly describe: (err: Error) => Error
  /** Message when the socket closes before it is ready. */
  readonly closedMessage: string
  /** Runs on the ready event; an error returned fails the phase (e.g. a fingerprint mismatch). */
  readonly check?: () => Error | null
  /** A socket under `socket` (the one TLS was layered on), destroyed with it on failure. */
  readonly under?: Duplex | null
}

/** The AbortError for an aborted signal (`cause` = its reason). */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason })
}

/** Resolves when `socket` emits `phase.ready` (and `phase.check` passes); rejects otherwise. */
export function awaitPhase(socket: Duplex, phase: Phase): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { deadline, signal } = phase
    let timer: NodeJS.Timeout | null = null
    const cleanup = (): void => {
      if (timer !== null) clearTimeout(timer)
      socket.off('error', onError)
      socket.off('close', onClose)
      socket.off(phase.ready, onReady)
      signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: Error): void => {
      cleanup()
      socket.destroy()
      phase.under?.destroy()
      reject(err)
    }
    const onError = (err: Error): void => fail(phase.describe(err))
    const onClose = (): void => fail(new ConnectError(phase.closedMessage))
    const onAbort = (): void => fail(abortError(signal!))
    const onTimeout = (): void => {
      fail(new ConnectTimeoutError(`Connecting to ${phase.label} took longer than ${deadline!.timeoutMs} ms`, deadline!.timeoutMs))
    }
    const onReady = (): void => {
      const err = phase.check?.() ?? null
      if (err !== null) return fail(err)
      cleanup()
      resolve()
    }

    socket.on('error', onError)
    socket.on('close', onClose)
    socket.once(phase.ready, onReady)
    // The signal may have fired, or the deadline passed, while an earlier phase was settling.
    if (signal !== null && signal.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    if (deadline !== null) {
      const left = deadline.endsAt - performance.now()
      if (left <= 0) return onTimeout()
      timer = setTimeout(onTimeout, left)
    }
  })
}

/**
 * The error a failed dial reports: a DnsError from the resolver as it is, a failed system lookup
 * (getaddrinfo) as a DnsError with the OS error as cause, anything else as a ConnectError.
 */
export function dialError(err: Error, label: string, hostname: string): Error {
  if (err instanceof DnsError) return err
  if ((err as NodeJS.ErrnoException).syscall === 'getaddrinfo') {
    return new DnsError(hostname, `Could not resolve ${hostname}: ${reason(err)}`, { cause: err })
  }
  return new ConnectError(`Could not connect to ${label}: ${reason(err)}`, { cause: err })
}

/** What went wrong, in words: Happy Eyeballs reports an AggregateError with an empty message. */
export function reason(err: Error): string {
  if (err.message !== '') return err.message
  if (err instanceof AggregateError) return err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ')
  return (err as NodeJS.ErrnoException).code ?? err.name
}
