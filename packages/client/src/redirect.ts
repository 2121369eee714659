// The redirect interceptor: follows 301/302/303/307/308 as RFC 9110 §15.4 and browsers do,
// releasing each intermediate body, and returns the final head with its URL and the hops before.
import { attachRequest, InvalidArgumentError, MaxRedirectsError, type Dispatch, type DispatchRequest, type Interceptor } from '@sonic/core'
import { hrefOf, type ClientRequest, type ClientResponseHead } from './client-request.js'
import { targetOf } from './request-target.js'

const REDIRECTS = new Set([301, 302, 303, 307, 308])

export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status)
}

/** Headers never carried to another origin, nor from https to http. */
const SENSITIVE = new Set(['authorization', 'cookie', 'proxy-authorization'])
/** Headers that describe a body; dropped when the redirect turns the request into a bodiless GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding', 'expect'])

export interface RedirectOptions {
  /**
   * Most redirects followed by one request (a request's own `maxRedirects` wins).
   * @default 5
   */
  maxRedirects?: number
}

/**
 * Follows redirects. A request with `follow: false` (HTTPClient's default) is passed through; one
 * without the field is followed. More than `maxRedirects` → MaxRedirectsError.
 * @example const send = compose(agent.dispatch, redirect({ maxRedirects: 10 }))
 */
export function redirect(options: RedirectOptions = {}): Interceptor {
  const max = options.maxRedirects ?? 5
  if (!Number.isInteger(max) || max < 0) throw new InvalidArgumentError('maxRedirects must be a non-negative integer')
  return (next) => (req) => ((req as Partial<ClientRequest>).policy?.follow === false ? next(req) : follow(next, req, max))
}

async function follow(next: Dispatch, first: DispatchRequest, fallbackMax: number): Promise<ClientResponseHead> {
  const c = first as Partial<ClientRequest>
  const max = c.policy?.maxRedirects ?? fallbackMax
  const replayable = c.replayable ?? true
  const history: ClientResponseHead[] = []
  let hop = first
  for (;;) {
    let head: ClientResponseHead
    try {
      head = await next(hop)
    } catch (err) {
      throw history.length === 0 ? err : attachRequest(err, hop.method, hrefOf(hop))
    }
    const location = isRedirect(head.status) ? head.headers.get('location') : null
    const url = hrefOf(hop)
    if (location === null) return history.length === 0 ? head : { ...head, url, history }
    await head.body.cancel()
    history.push({ ...head, url })
    if (history.length > max) throw attachRequest(new MaxRedirectsError(max, history), first.method, hrefOf(first))
    hop = nextHop(hop, head.status, location, replayable)
  }
}

/**
 * The request for the next hop, or throws InvalidArgumentError when a 307/308 would have to resend
 * a body that cannot be sent twice.
 */
export function nextHop(prev: DispatchRequest, status: number, location: string, replayable: boolean): DispatchRequest {
  const prevHref = hrefOf(prev)
  let url: URL
  try {
    url = new URL(location, prevHref)
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
  const crossOrigin = url.origin !== prev.origin
  const downgrade = prev.scheme === 'https' && url.protocol === 'http:'
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
  const t = targetOf(url)
  const proxyFor = (prev as Partial<ClientRequest>).policy?.proxyFor
  return {
    ...prev,
    ...(proxyFor != null ? { proxy: proxyFor(t.href) } : null),
    origin: t.origin,
    path: t.path,
    authority: t.authority,
    scheme: t.https ? 'https' : 'http',
    href: t.href,
    method,
    headers,
    body,
  } as DispatchRequest
}
