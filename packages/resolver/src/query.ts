// Input checks and answers that need no query: IP literals and `localhost`. Shared by every
// resolver so they all accept and reject the same things.
import { isIP } from 'node:net'
import { DnsError, InvalidArgumentError } from '@sonic/core'
import type { AddressFamily, AddressOrder, ResolvedAddress } from './resolver.js'

/** A checked resolve() call. `ip` is set when the host is an IP literal (brackets removed). */
export interface Query {
  readonly hostname: string
  readonly name: string
  readonly ip: string | null
  readonly port: number
  readonly family: AddressFamily
}

// Characters that never appear in a host name we can look up (whitespace, controls, URL syntax).
const BAD_CHAR = /[\s\x00-\x1f\x7f/\\?#@]/

/** Validates the arguments of `resolve()`; throws InvalidArgumentError on bad input. */
export function parseQuery(host: unknown, port: unknown = 0, family: unknown = 0): Query {
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidArgumentError(`host must be a non-empty string, got ${JSON.stringify(host)}`)
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${String(port)}`)
  }
  if (family !== 0 && family !== 4 && family !== 6) {
    throw new InvalidArgumentError(`family must be 0, 4 or 6, got ${String(family)}`)
  }
  let name = host
  if (name.startsWith('[')) {
    if (!name.endsWith(']') || isIP(name.slice(1, -1)) !== 6) {
      throw new InvalidArgumentError(`Invalid bracketed IPv6 address: ${JSON.stringify(host)}`)
    }
    name = name.slice(1, -1)
  }
  const ipFamily = isIP(name)
  if (ipFamily !== 0) return { hostname: host, name, ip: name, port, family }
  if (name.length > 254 || BAD_CHAR.test(name) || name.includes(':') || name.startsWith('.')) {
    throw new InvalidArgumentError(`Invalid host name: ${JSON.stringify(host)}`)
  }
  return { hostname: host, name, ip: null, port, family }
}

/** The answer for an IP literal; DnsError when its family is not the one asked for. */
export function literalAnswer(q: Query): ResolvedAddress[] {
  const ip = q.ip as string
  const fam = isIP(ip) as 4 | 6
  if (q.family !== 0 && q.family !== fam) {
    throw new DnsError(q.hostname, `${q.hostname} is an IPv${fam} address, but IPv${q.family} was asked for`)
  }
  return [Object.freeze({ hostname: q.hostname, host: ip, port: q.port, family: fam })]
}

/** True for `localhost` and names under `.localhost` (RFC 6761 §6.3: always the loopback). */
export function isLocalhost(name: string): boolean {
  const n = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()
  return n === 'localhost' || n.endsWith('.localhost')
}

/** The loopback answer for `localhost`, ordered as asked. */
export function localhostAnswer(q: Query, order: AddressOrder): ResolvedAddress[] {
  const out: ResolvedAddress[] = []
  if (q.family !== 6) out.push(Object.freeze({ hostname: q.hostname, host: '127.0.0.1', port: q.port, family: 4 as const }))
  if (q.family !== 4) out.push(Object.freeze({ hostname: q.hostname, host: '::1', port: q.port, family: 6 as const }))
  return sortByFamily(out, order)
}

/** Stable sort putting one family first; returns the same array. */
export function sortByFamily<T extends { family: 4 | 6 }>(list: T[], order: AddressOrder): T[] {
  const first = order === 'ipv6first' ? 6 : 4
  return list.sort((a, b) => (a.family === b.family ? 0 : a.family === first ? -1 : 1))
}

/** Wraps an OS or c-ares error into DnsError, keeping it as `cause`. */
export function toDnsError(hostname: string, err: unknown): DnsError {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  return new DnsError(hostname, `Could not resolve ${hostname}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err })
}

/** DnsError for an answer that holds no address of the wanted family. */
export function noAddressError(hostname: string, family: AddressFamily, cause?: unknown): DnsError {
  const what = family === 0 ? 'address' : `IPv${family} address`
  return new DnsError(hostname, `No ${what} found for ${hostname}`, cause === undefined ? undefined : { cause })
}
