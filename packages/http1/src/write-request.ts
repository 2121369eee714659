// Serialising a request: the head is built with plain string concatenation (no per-header
// arrays), validated before a byte is written, and framed for its body (Content-Length,
// chunked or nothing). Bodies that do not go out with the head are written by RequestWriter.
import {
  InvalidArgumentError,
  assertHeaderName,
  assertHeaderValue,
  assertMethod,
  assertPath,
  isStreamBody,
  isValidatedHeaders,
  type HttpRequest,
  type StreamBody,
} from '@sonic/core'

/** Bodies up to this many bytes are written in the same socket write as the head. */
export const SMALL_BODY = 64 * 1024

const CRLF = '\r\n'
const EMPTY = new Uint8Array(0)
/** A CONNECT request-target (RFC 9112 §3.2.3, authority form): host or [IPv6] literal, `:`, port. */
const AUTHORITY_FORM = /^(?:\[[0-9A-Za-z:.%]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+):(\d{1,5})$/

/** A request ready for the wire. */
export interface PreparedRequest {
  /** Request line and headers, ending with the empty line; latin1. */
  readonly head: string
  /** The body when it is fixed bytes, else null. */
  readonly bytes: Uint8Array | null
  /** The body when it is a stream, else null. */
  readonly stream: StreamBody | null
  /** Body size when known (sent as Content-Length); null when chunked. 0 for no body. */
  readonly length: number | null
  /** The body is sent with chunked framing. */
  readonly chunked: boolean
  /** Wait for `100 Continue` before sending the body. */
  readonly expectContinue: boolean
  /** The request itself asked for `Connection: close`. */
  readonly close: boolean
  /** HEAD: the response has no body whatever its headers say. */
  readonly isHead: boolean
  /** The request carries an `Upgrade` header: a 101 answer is one it asked for. */
  readonly upgrade: boolean
  /** CONNECT (authority-form target, no content): a 2xx answer turns the connection into a tunnel. */
  readonly connect: boolean
}

/**
 * Throws InvalidArgumentError unless `method` is a token. The methods nearly every request uses
 * are known tokens: one string compare each, no per-character scan.
 */
function checkMethod(method: string): void {
  switch (method) {
    case 'GET':
    case 'POST':
    case 'PUT':
    case 'HEAD':
    case 'DELETE':
    case 'PATCH':
    case 'OPTIONS':
    case 'CONNECT':
      return
  }
  assertMethod(method)
}

function hasToken(list: string, token: string): boolean {
  const parts = list.toLowerCase().split(',')
  for (let i = 0; i < parts.length; i++) if (parts[i]!.trim() === token) return true
  return false
}

function lastCodingIsChunked(te: string): boolean {
  const parts = te.toLowerCase().split(',')
  return parts[parts.length - 1]!.trim() === 'chunked'
}

/**
 * Validates `req` (method, path, every header name and value: CR, LF, NUL → InvalidArgumentError)
 * and builds its head. Adds `host` from `req.authority` when absent, and `content-length` or
 * `transfer-encoding: chunked` to match the body. Throws before anything is written.
 * Headers from core's `validatedHeaders()` (checked once and frozen, as @sonic/client's are) skip
 * the per-header checks — any other list, e.g. one an interceptor built with `[...headers, n, v]`,
 * is checked; method, path and framing are always checked. CONNECT (RFC 9110 §9.3.6) needs an
 * authority-form target (`host:port`, also sent as Host) and no content: no body, Content-Length
 * or Transfer-Encoding.
 */
export function prepareRequest(req: HttpRequest): PreparedRequest {
  const method = req.method
  const path = req.path
  checkMethod(method)
  assertPath(path)
  const connect = method === 'CONNECT'
  if (connect) {
    const m = AUTHORITY_FORM.exec(path)
    if (m === null || Number(m[1]) > 65535) {
      throw new InvalidArgumentError(`A CONNECT request-target must be host:port (authority form), got ${JSON.stringify(path)}`)
    }
  }

  const headers = req.headers
  // Skipped only for a list validatedHeaders() checked and froze (one WeakSet lookup).
  const check = !isValidatedHeaders(headers)
  let lines = ''
  let hasHost = false
  let userLength: string | null = null
  let userTE: string | null = null
  let expectHeader = false
  let close = false
  let upgrade = false
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!
    const value = headers[i + 1]!
    if (check) {
      assertHeaderName(name)
      assertHeaderValue(name, value)
    }
    // Only a handful of names matter here; compare lengths first so most headers cost nothing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hasHost = true
        break
      case 7:
        if (name.toLowerCase() === 'upgrade') upgrade = true
        break
      case 6:
        if (name.toLowerCase() === 'expect' && value.trim().toLowerCase() === '100-continue') expectHeader = true
        break
      case 10:
        if (name.toLowerCase() === 'connection' && hasToken(value, 'close')) close = true
        break
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (userLength !== null && userLength !== value.trim()) {
            throw new InvalidArgumentError('Conflicting Content-Length headers')
          }
          userLength = value.trim()
        }
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') userTE = userTE === null ? value : userTE + ', ' + value
        break
    }
    lines += name + ': ' + value + CRLF
  }

  const body = req.body
  let bytes: Uint8Array | null = null
  let stream: StreamBody | null = null
  let length: number | null
  if (body === null || body === undefined) {
    length = 0
  } else if (body instanceof Uint8Array) {
    bytes = body
    length = body.byteLength
  } else if (isStreamBody(body)) {
    stream = body
    length = body.length
    if (length !== null && (!Number.isSafeInteger(length) || length < 0)) {
      throw new InvalidArgumentError(`Invalid stream body length: ${String(length)}`)
    }
  } else {
    throw new InvalidArgumentError('Request body must be null, a Uint8Array or a StreamBody')
  }

  if (connect && (stream !== null || length !== 0 || userLength !== null || userTE !== null)) {
    throw new InvalidArgumentError('A CONNECT request has no content: no body, Content-Length or Transfer-Encoding')
  }

  let chunked = false
  if (userTE !== null) {
    if (userLength !== null) throw new InvalidArgumentError('A request cannot carry both Content-Length and Transfer-Encoding')
    if (!lastCodingIsChunked(userTE)) {
      throw new InvalidArgumentError(`Transfer-Encoding must end with chunked, got ${JSON.stringify(userTE)}`)
    }
    chunked = true
    length = null
    if (bytes === null && stream === null) bytes = EMPTY
  } else if (userLength !== null) {
    if (!/^\d{1,15}$/.test(userLength)) throw new InvalidArgumentError(`Invalid Content-Length: ${JSON.stringify(userLength)}`)
    const declared = Number(userLength)
    if (length === null) length = declared
    else if (declared !== length) {
      throw new InvalidArgumentError(`Content-Length ${declared} does not match the body length ${length}`)
    }
  } else if (length === null) {
    lines += 'transfer-encoding: chunked\r\n'
    chunked = true
  } else if (body !== null && body !== undefined) {
    lines += 'content-length: ' + length + CRLF
  } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    // As undici and browsers do: a body-less POST/PUT/PATCH says so explicitly.
    lines += 'content-length: 0\r\n'
  }

  const hasBody = chunked || (length !== null && length > 0)
  const expectContinue = hasBody && (req.expectContinue === true || expectHeader)
  if (expectContinue && !expectHeader) lines += 'expect: 100-continue\r\n'

  let head = method + ' ' + path + ' HTTP/1.1\r\n'
  if (!hasHost) {
    // CONNECT names its authority in the request-target; Host repeats it (RFC 9110 §9.3.6).
    const host = connect ? path : req.authority
    assertHeaderValue('host', host)
    head += 'host: ' + host + CRLF
  }
  head += lines + CRLF

  return { head, bytes, stream, length, chunked, expectContinue, close, isHead: method === 'HEAD', upgrade, connect }
}

/** Yields `bytes` in slices (so a large upload reports progress and respects backpressure). */
export function* slices(bytes: Uint8Array, size = SMALL_BODY): Generator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, Math.min(i + size, bytes.byteLength))
}
