// res.timings: when each phase of one request ended, in ms from the start of the request (when
// the agent took it). One small record per request, filled from one clock read per phase; the
// connect phases come from the transport's Connected.timings of a connection made for it.
import { performance } from 'node:perf_hooks'
import type { ConnectTimings } from '@sonic/transport'

/** When each phase of a request ended, in ms from its start. */
export interface ResponseTimings {
  /** Waiting for a connection: until one was handed over, or a new one began connecting. */
  readonly queued: number
  /** The DNS answer; null when this request did not look a name up (reused connection, IP literal). */
  readonly dns: number | null
  /** The TCP connection made; null on a reused connection. */
  readonly connect: number | null
  /** The TLS handshake done; null on a reused connection or plain http. */
  readonly tls: number | null
  /** The response head arrived. */
  readonly firstByte: number
  /** The body was read to the end (or released); null until then. */
  readonly end: number | null
}

/** @internal The agent's mutable record behind ResponseTimings (`end` is set by the body). */
export class RequestTimings implements ResponseTimings {
  readonly queued: number
  readonly dns: number | null
  readonly connect: number | null
  readonly tls: number | null
  readonly firstByte: number
  end: number | null = null
  readonly #start: number

  constructor(start: number, acquired: number, made: ConnectTimings | null, head: number) {
    this.#start = start
    if (made === null) {
      this.queued = acquired - start
      this.dns = null
      this.connect = null
      this.tls = null
    } else {
      // A connection made while this request waited may have begun before it: clamp to 0.
      this.queued = Math.max(0, made.start - start)
      this.dns = made.dns === null ? null : Math.max(0, made.dns - start)
      this.connect = Math.max(0, made.connect - start)
      this.tls = made.tls === null ? null : Math.max(0, made.tls - start)
    }
    this.firstByte = head - start
  }

  /** Marks the end of the body (once). */
  done(): void {
    if (this.end === null) this.end = performance.now() - this.#start
  }

  toJSON(): ResponseTimings {
    return { queued: this.queued, dns: this.dns, connect: this.connect, tls: this.tls, firstByte: this.firstByte, end: this.end }
  }
}

/** Connect timings in ms from the connect's own start (for `sonic:connection:connected`). */
export interface ConnectionTimings {
  readonly dns: number | null
  readonly connect: number
  readonly tls: number | null
}

export function connectionTimings(t: ConnectTimings): ConnectionTimings {
  return { dns: t.dns === null ? null : t.dns - t.start, connect: t.connect - t.start, tls: t.tls === null ? null : t.tls - t.start }
}
