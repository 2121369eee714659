// NO_PROXY, parsed once: which hosts go direct, with curl's rules. Names are compared as names
// (never resolved): `a.com` and `.a.com` both match a.com and its subdomains. IP literals and CIDR
// ranges (v4 and v6) match IP-literal hosts only. An entry with a port matches that port only.
import { BlockList, isIP } from 'node:net'

/** One host or domain entry. */
interface NameRule {
  /** Lower case, without leading `.`/`*.` or trailing `.`. */
  readonly name: string
  /** The port it is limited to, or 0 for any. */
  readonly port: number
}

/**
 * A parsed `NO_PROXY` value: `*` (everything goes direct); entries separated by commas and/or
 * white space; each a host or domain suffix, optionally `:port`; an IPv4 or IPv6 address (IPv6
 * with a port in brackets: `[::1]:8080`); or a CIDR range (`10.0.0.0/8`, `fe80::/10`). Entries that
 * are none of these (a bad port, a prefix out of range) are ignored.
 *
 * @example
 * const bypass = new NoProxy('localhost, .internal.example, 10.0.0.0/8, [::1]:8080')
 * bypass.matches('api.internal.example', 443) // true
 * bypass.matches('10.1.2.3', 80)              // true
 * bypass.matches('::1', 80)                   // false: only port 8080
 */
export class NoProxy {
  /** True when the value holds a `*` entry: no host goes through a proxy. */
  readonly all: boolean
  /** True when no entry was usable (nothing goes direct, unless `all`). */
  readonly empty: boolean
  readonly #names: readonly NameRule[]
  /** IP and CIDR entries by port (0 = any port). */
  readonly #ips: ReadonlyMap<number, BlockList>

  constructor(value: string | null | undefined) {
    const names: NameRule[] = []
    const ips = new Map<number, BlockList>()
    let all = false
    for (const entry of (value ?? '').split(/[\s,]+/)) {
      if (entry === '') continue
      if (entry === '*') {
        all = true
        continue
      }
      addEntry(entry, names, ips)
    }
    this.all = all
    this.#names = names
    this.#ips = ips
    this.empty = !all && names.length === 0 && ips.size === 0
  }

  /**
   * True when `hostname` (a URL's hostname: a name, an IPv4 address or an IPv6 address with or
   * without brackets) on `port` (the effective port: 80 or 443 when the URL names none) goes direct.
   */
  matches(hostname: string, port: number): boolean {
    if (this.all) return true
    if (this.empty) return false
    const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
    const family = isIP(host)
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6'
      return this.#ips.get(0)?.check(host, type) === true || this.#ips.get(port)?.check(host, type) === true
    }
    const name = normaliseName(host)
    for (const rule of this.#names) {
      if (rule.port !== 0 && rule.port !== port) continue
      if (name === rule.name || (name.endsWith(rule.name) && name.charCodeAt(name.length - rule.name.length - 1) === 0x2e)) return true
    }
    return false
  }
}

/** Lower case, without a trailing dot (`example.com.` is `example.com`). */
function normaliseName(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

function addEntry(entry: string, names: NameRule[], ips: Map<number, BlockList>): void {
  // [v6] or [v6]:port
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']')
    if (close === -1) return
    const rest = entry.slice(close + 1)
    const port = rest === '' ? 0 : rest.startsWith(':') ? parsePort(rest.slice(1)) : -1
    if (port === -1) return
    addIp(entry.slice(1, close), port, ips)
    return
  }
  // A CIDR range: address/prefix.
  const slash = entry.indexOf('/')
  if (slash !== -1) {
    const address = entry.slice(0, slash)
    const family = isIP(address)
    const prefix = /^\d{1,3}$/.test(entry.slice(slash + 1)) ? Number(entry.slice(slash + 1)) : -1
    if (family === 0 || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return
    listFor(ips, 0).addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
    return
  }
  // A bare IP (an IPv6 address without brackets has no port).
  if (isIP(entry) !== 0) {
    addIp(entry, 0, ips)
    return
  }
  // host, host:port, 1.2.3.4:port
  const colon = entry.lastIndexOf(':')
  let host = entry
  let port = 0
  if (colon !== -1) {
    port = parsePort(entry.slice(colon + 1))
    host = entry.slice(0, colon)
    if (port === -1 || host.includes(':')) return
  }
  if (isIP(host) !== 0) {
    addIp(host, port, ips)
    return
  }
  let name = normaliseName(host)
  if (name.startsWith('*.')) name = name.slice(2)
  else if (name.startsWith('.')) name = name.slice(1)
  if (name === '' || name.includes('*')) return
  names.push({ name, port })
}

function addIp(address: string, port: number, ips: Map<number, BlockList>): void {
  const family = isIP(address)
  if (family === 0) return
  listFor(ips, port).addAddress(address, family === 4 ? 'ipv4' : 'ipv6')
}

function listFor(ips: Map<number, BlockList>, port: number): BlockList {
  let list = ips.get(port)
  if (list === undefined) ips.set(port, (list = new BlockList()))
  return list
}

/** A port from 1 to 65535, or -1. */
function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) return -1
  const port = Number(text)
  return port >= 1 && port <= 65535 ? port : -1
}
