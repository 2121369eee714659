// poolConfigs keys: ':default', 'host', 'host:port' or an origin, checked and normalised once,
// and the lookup order from the most to the least specific.
import { InvalidArgumentError, PoolConfig, type PoolConfigInit } from '@sonic/core'

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]]+):(\d{1,5})$/
const HOST = /^[^\s:/?#@[\]]+$/

/**
 * A poolConfigs key in the form poolConfigFor looks up (hosts lower-cased, IPv6 without
 * brackets); throws InvalidArgumentError for a key that is no origin, host:port or host.
 */
export function poolConfigKey(key: string): string {
  if (key === ':default') return key
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(`poolConfigs key ${JSON.stringify(key)} ${why}: use ':default', 'host', 'host:port' or an origin such as 'https://host:8443'`)
  if (key.includes('://')) {
    let url: URL
    try {
      url = new URL(key)
    } catch {
      throw bad('is not a valid origin')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('has a scheme other than http or https')
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw bad('is not a bare origin')
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    // URL drops a default port; a key that spelt one out still names that exact origin.
    const explicitPort = url.port !== '' ? url.port : /:\d+\/?$/.test(key) ? (url.protocol === 'https:' ? '443' : '80') : null
    return explicitPort === null ? `${url.protocol}//${host}` : `${url.protocol}//${host}:${explicitPort}`
  }
  const hp = HOST_PORT.exec(key)
  if (hp !== null) {
    const port = Number(hp[2])
    if (port < 1 || port > 65535) throw bad('has a port outside 1-65535')
    const host = hp[1]!.startsWith('[') ? hp[1]!.slice(1, -1) : hp[1]!
    return `${host.toLowerCase()}:${port}`
  }
  if (HOST.test(key)) return key.toLowerCase()
  throw bad('is not a host')
}

/** poolConfigs by normalised key; another key → InvalidArgumentError. */
export function poolConfigMap(init: Record<string, PoolConfigInit | PoolConfig> | undefined): Map<string, PoolConfig> {
  const map = new Map<string, PoolConfig>()
  for (const [key, value] of Object.entries(init ?? {})) map.set(poolConfigKey(key), PoolConfig.from(value))
  return map
}

/** The pool config for an origin: exact origin, scheme+host, host:port, host, then ':default'. */
export function poolConfigFor(c: ReadonlyMap<string, PoolConfig>, protocol: string, hostname: string, port: number): PoolConfig {
  if (c.size === 0) return PoolConfig.DEFAULT
  const host = hostname.toLowerCase()
  return (
    c.get(`${protocol}//${host}:${port}`) ??
    c.get(`${protocol}//${host}`) ??
    c.get(`${host}:${port}`) ??
    c.get(host) ??
    c.get(':default') ??
    PoolConfig.DEFAULT
  )
}
