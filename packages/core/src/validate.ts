// Validation of what goes on the wire: header names are RFC 9110 tokens; values must not carry
// control characters other than HTAB (CR, LF and NUL would split the request; RFC 9110 §5.5
// forbids the rest, as node:http and undici do); methods and paths must not carry CR, LF or NUL. Used by HttpHeaders and by http1/http2
// before a byte is written.
import { InvalidArgumentError } from './errors.js'

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
const TOKEN = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  TOKEN[c] =
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))
      ? 1
      : 0
}

/** True when `s` is a non-empty RFC 9110 token (valid header name or method). */
export function isToken(s: string): boolean {
  const n = s.length
  if (n === 0) return false
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 127 || TOKEN[c] === 0) return false
  }
  return true
}

/**
 * True when `s` is a valid field value (RFC 9110 §5.5): no control character but HTAB (so no CR,
 * LF, NUL, \x01-\x1f or DEL) and no character above U+00FF, which cannot be sent as latin1.
 * obs-text (\x80-\xff) is allowed.
 */
export function isSafeFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false
  }
  return true
}

/** Throws InvalidArgumentError unless `name` is a valid header name. */
export function assertHeaderName(name: string): void {
  if (!isToken(name)) throw new InvalidArgumentError(`Invalid header name: ${JSON.stringify(name)}`)
}

/** Throws InvalidArgumentError when `value` contains a control character other than HTAB, or characters outside latin1. */
export function assertHeaderValue(name: string, value: string): void {
  if (!isSafeFieldValue(value)) {
    throw new InvalidArgumentError(
      `Invalid value for header ${JSON.stringify(name)}: CR, LF, NUL, another control character or a non-latin1 character`,
    )
  }
}

/** Throws InvalidArgumentError unless `method` is a token. */
export function assertMethod(method: string): void {
  if (!isToken(method)) throw new InvalidArgumentError(`Invalid HTTP method: ${JSON.stringify(method)}`)
}

/** Throws InvalidArgumentError when a request target contains whitespace, CR, LF or NUL. */
export function assertPath(path: string): void {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f || c > 0xff) {
      throw new InvalidArgumentError(`Invalid request path: ${JSON.stringify(path)}`)
    }
  }
}

/**
 * A flat [name, value, …] header list whose every name and value was checked once (by
 * `validatedHeaders`): a protocol layer writes it without checking again. Any other list —
 * e.g. one an interceptor built with `[...req.headers, name, value]` — is checked before a byte
 * is written. The brand cannot be forged by a cast: what counts is the mark below.
 */
export type ValidatedHeaders = readonly string[] & { readonly __validated: unique symbol }

/**
 * The mark of a checked list: a property under a symbol only this module has (a WeakSet registry
 * would cost every request's list an ephemeron for the GC to trace). Copies — `[...list]`,
 * `slice()` — do not carry it.
 */
const VALIDATED: unique symbol = Symbol('sonic.validatedHeaders')

/**
 * Checks every header name and value of a flat list (→ InvalidArgumentError), freezes it and
 * marks it validated. The list must not be changed afterwards (it is frozen).
 */
export function validatedHeaders(flat: readonly string[]): ValidatedHeaders {
  if ((flat as { [VALIDATED]?: true })[VALIDATED] === true) return flat as ValidatedHeaders
  if (flat.length % 2 !== 0) throw new InvalidArgumentError('A flat header list must hold name, value pairs')
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!
    const value = flat[i + 1]!
    if (typeof name !== 'string' || typeof value !== 'string') throw new InvalidArgumentError('Header names and values must be strings')
    assertHeaderName(name)
    assertHeaderValue(name, value)
  }
  if (Object.isFrozen(flat)) {
    // A frozen list cannot take the mark: a marked frozen copy.
    const copy = flat.slice() as string[] & { [VALIDATED]?: true }
    copy[VALIDATED] = true
    return Object.freeze(copy) as unknown as ValidatedHeaders
  }
  ;(flat as string[] & { [VALIDATED]?: true })[VALIDATED] = true
  return Object.freeze(flat) as unknown as ValidatedHeaders
}

/** True for a list returned by `validatedHeaders` (checked and frozen). */
export function isValidatedHeaders(flat: readonly string[]): flat is ValidatedHeaders {
  return (flat as { [VALIDATED]?: true })[VALIDATED] === true
}
