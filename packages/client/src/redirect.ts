// What the next hop of a redirect chain looks like (RFC 9110 §15.4, and what browsers do).
import { InvalidArgumentError, type RequestBody } from '@sonic/core'
import { targetOf, type RequestTarget } from './request-target.js'

const REDIRECTS = new Set([301, 302, 303, 307, 308])

export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status)
}

/** Headers never carried to another origin, nor from https to http. */
const SENSITIVE = new Set(['authorization', 'cookie', 'proxy-authorization'])
/** Headers that describe a body; dropped when the redirect turns the request into a bodiless GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding', 'expect'])

export interface Hop {
  target: RequestTarget
  method: string
  headers: readonly string[]
  body: RequestBody
}

/**
 * The request for the next hop, or throws InvalidArgumentError when a 307/308 would have to resend
 * a body that cannot be sent twice.
 */
export function nextHop(prev: Hop, status: number, location: string, replayable: boolean): Hop {
  let url: URL
  try {
    url = new URL(location, prev.target.href)
  } catch (cause) {
    throw new InvalidArgumentError(`Invalid redirect Location: ${JSON.stringify(location)}`, { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`Refusing to follow a redirect to ${url.protocol} URL`)
  }
  let method = prev.method
  let body = prev.body
  let dropBody = false
  if (status === 303 && method !== 'HEAD') {
    method = 'GET'
    dropBody = true
  } else if ((status === 301 || status === 302) && method === 'POST') {
    method = 'GET'
    dropBody = true
  }
  if (dropBody) body = null
  else if (body !== null && !replayable) {
    throw new InvalidArgumentError(
      `Cannot follow a ${status} redirect: the request body is a one-shot stream and cannot be sent again`,
    )
  }
  const crossOrigin = url.origin !== prev.target.origin
  const downgrade = prev.target.https && url.protocol === 'http:'
  const headers: string[] = []
  const h = prev.headers
  for (let i = 0; i < h.length; i += 2) {
    const lower = h[i]!.toLowerCase()
    if ((crossOrigin || downgrade) && SENSITIVE.has(lower)) continue
    if (dropBody && BODY_HEADERS.has(lower)) continue
    if (lower === 'host') continue
    headers.push(h[i]!, h[i + 1]!)
  }
  // Credentials in a Location are not used: auth never follows a redirect implicitly.
  url.username = ''
  url.password = ''
  return { target: targetOf(url), method, headers, body }
}
