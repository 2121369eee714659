// A TransportTarget checked once at the edge: every transport validates what it was given here,
// before a socket exists, and works from the result.
import { isIP } from 'node:net'
import { InvalidArgumentError } from '@sonic/core'
import type { TransportTarget } from './transport.js'

/** The connect timeout when a target names none, in ms. */
export const DEFAULT_TIMEOUT_MS = 5000

/** Largest delay setTimeout keeps (a larger one would fire after 1 ms). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** What a transport needs of a target, checked. */
export interface CheckedTarget {
  readonly https: boolean
  /** Host name or IP, IPv6 without brackets. */
  readonly hostname: string
  readonly port: number
  /** `host:port` (IPv6 in brackets) for messages and session keys. */
  readonly label: string
  /** Connect limit in ms, or null for none. */
  readonly timeoutMs: number | null
}

/**
 * Checks a target → InvalidArgumentError on a bad protocol, host name, port or timeout.
 * `dialled`: the port is dialled (1-65535), not only a name (0-65535).
 */
export function checkTarget(target: TransportTarget, dialled: boolean): CheckedTarget {
  if (target === null || typeof target !== 'object') throw new InvalidArgumentError('A transport target must be an object')
  const { protocol, port } = target
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InvalidArgumentError(`protocol must be 'http:' or 'https:', got ${JSON.stringify(protocol)}`)
  }
  const hostname = checkHostname(target.hostname, dialled)
  checkPort(port, dialled)
  return {
    https: protocol === 'https:',
    hostname,
    port,
    label: hostLabel(hostname, port),
    timeoutMs: checkTimeout(target.timeoutMs),
  }
}

/** The host name without IPv6 brackets → InvalidArgumentError when it is no string (or empty when dialled). */
export function checkHostname(hostname: unknown, dialled: boolean): string {
  if (typeof hostname !== 'string' || (dialled && hostname === '')) {
    throw new InvalidArgumentError(`hostname must be a non-empty string, got ${JSON.stringify(hostname)}`)
  }
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

export function checkPort(port: unknown, dialled: boolean): asserts port is number {
  const min = dialled ? 1 : 0
  if (!Number.isInteger(port) || (port as number) < min || (port as number) > 65535) {
    throw new InvalidArgumentError(`port must be an integer from ${min} to 65535, got ${String(port)}`)
  }
}

/** The limit in ms, null for none (undefined → the default, 0 → none). */
export function checkTimeout(timeoutMs: unknown): number | null {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS
  if (timeoutMs === null || timeoutMs === 0) return null
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new InvalidArgumentError(`timeoutMs must be a number of ms from 0 to ${MAX_TIMEOUT_MS} or null, got ${String(timeoutMs)}`)
  }
  return timeoutMs
}

/** `host:port`, with an IPv6 address in brackets. */
export function hostLabel(hostname: string, port: number): string {
  return isIP(hostname) === 6 ? `[${hostname}]:${port}` : `${hostname}:${port}`
}
