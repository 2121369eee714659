// The HTTP/2 header block of a request: pseudo-headers from the request, names lower-cased,
// connection-specific fields (RFC 9113 §8.2.2) dropped, Host turned into :authority, repeated
// fields joined (cookie with '; ', others with ', ') since node:http2 accepts arrays only for
// some names.
import type { OutgoingHttpHeaders } from 'node:http2'
import type { HttpRequest } from '@sonic/core'

/** Fields that mean something only to one HTTP/1.1 connection. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings'])

/** @internal */
export function requestHeaders(req: HttpRequest, contentLength: number | null): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders
  let authority = req.authority
  const flat = req.headers
  let hasLength = false
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase()
    const value = flat[i + 1] as string
    if (CONNECTION_SPECIFIC.has(name)) continue
    if (name === 'host') {
      authority = value
      continue
    }
    // TE may only say "trailers" in HTTP/2.
    if (name === 'te') {
      if (value.trim().toLowerCase() === 'trailers') out.te = 'trailers'
      continue
    }
    if (name === 'content-length') hasLength = true
    const prev = out[name]
    out[name] = prev === undefined ? value : `${prev as string}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  if (!hasLength && contentLength !== null && (contentLength > 0 || methodExpectsBody(req.method))) {
    out['content-length'] = String(contentLength)
  }
  out[':method'] = req.method
  out[':scheme'] = req.scheme
  out[':authority'] = authority
  out[':path'] = req.path
  return out
}

function methodExpectsBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH'
}
