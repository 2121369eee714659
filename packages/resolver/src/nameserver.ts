// Parsing of the `nameservers` option: 'ip', 'ip:port' or '[v6]:port' (and a bare IPv6 address).
import { isIP } from 'node:net'
import { InvalidArgumentError } from '@sonic/core'

/**
 * Checks one nameserver and returns it in the form c-ares's `setServers` accepts
 * (`'1.2.3.4'`, `'1.2.3.4:53'`, `'::1'`, `'[::1]:53'`). Throws InvalidArgumentError otherwise.
 */
export function parseNameserver(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0) {
    throw new InvalidArgumentError(`A nameserver must be a non-empty string, got ${JSON.stringify(input)}`)
  }
  if (isIP(input) !== 0) return input
  let ip: string
  let port: string
  if (input.startsWith('[')) {
    const end = input.indexOf(']')
    ip = input.slice(1, end)
    if (end < 0 || isIP(ip) !== 6) throw bad(input)
    const rest = input.slice(end + 1)
    if (rest === '') return ip
    if (!rest.startsWith(':')) throw bad(input)
    port = rest.slice(1)
  } else {
    const colon = input.lastIndexOf(':')
    if (colon < 0) throw bad(input)
    ip = input.slice(0, colon)
    port = input.slice(colon + 1)
    if (isIP(ip) !== 4) throw bad(input)
  }
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN
  if (!(n >= 1 && n <= 65535)) throw bad(input)
  return isIP(ip) === 6 ? `[${ip}]:${n}` : `${ip}:${n}`
}

function bad(input: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Invalid nameserver ${JSON.stringify(input)}: expected an IP address, 'ip:port' or '[ipv6]:port'`,
  )
}
