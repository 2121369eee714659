// A parsed request URL in the shape the send path needs. Parsing a URL is the most expensive
// step of a small request, so a client keeps the targets of the URLs it sees in a bounded cache.
import { InvalidArgumentError } from '@sonic/core'

export interface RequestTarget {
  readonly href: string
  readonly https: boolean
  readonly protocol: 'http:' | 'https:'
  /** Host name without IPv6 brackets. */
  readonly hostname: string
  readonly port: number
  /** `host[:port]` as in the URL (the Host header). */
  readonly authority: string
  /** Path and query (origin-form request target). */
  readonly path: string
  /** `protocol//host[:port]`. */
  readonly origin: string
}

export function parseUrl(input: string | URL, base: URL | null): URL {
  let url: URL
  if (input instanceof URL) url = new URL(input.href)
  else if (typeof input !== 'string') throw new InvalidArgumentError('url must be a string or URL')
  else {
    try {
      url = base === null ? new URL(input) : new URL(input, base)
    } catch (cause) {
      throw new InvalidArgumentError(`Invalid URL: ${JSON.stringify(input)}`, { cause })
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`Unsupported URL protocol ${JSON.stringify(url.protocol)} (http: and https: only)`)
  }
  return url
}

/** The target of a URL without credentials (the caller strips them). */
export function targetOf(url: URL): RequestTarget {
  const https = url.protocol === 'https:'
  const raw = url.hostname
  return {
    href: url.href,
    https,
    protocol: https ? 'https:' : 'http:',
    hostname: raw.charCodeAt(0) === 91 /* [ */ ? raw.slice(1, -1) : raw,
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    authority: url.host,
    path: url.pathname + url.search,
    origin: url.origin,
  }
}

const MAX_CACHED = 1024

/** URL string → target, for URLs with no credentials; cleared when full. */
export class TargetCache {
  #map = new Map<string, RequestTarget>()

  get(key: string): RequestTarget | undefined {
    return this.#map.get(key)
  }

  set(key: string, target: RequestTarget): void {
    if (this.#map.size >= MAX_CACHED) this.#map.clear()
    this.#map.set(key, target)
  }
}
