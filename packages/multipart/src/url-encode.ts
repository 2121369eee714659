// application/x-www-form-urlencoded bodies, serialised exactly as URLSearchParams does
// (WHATWG URL standard: space → '+', everything outside *-._ and alphanumerics percent-encoded).
import { InvalidArgumentError } from '@sonic/core'

/** A value urlEncode accepts: numbers and booleans are written with String(). */
export type UrlEncodeValue = string | number | boolean

/** What urlEncode accepts: a record (arrays repeat the key), URLSearchParams, or name/value pairs. */
export type UrlEncodeInput = Record<string, UrlEncodeValue | UrlEncodeValue[] | undefined> | URLSearchParams | [string, string][]

function scalar(key: string, value: unknown): string {
  const t = typeof value
  if (t === 'string') return value as string
  if (t === 'number' || t === 'boolean') return String(value)
  throw new InvalidArgumentError(`urlEncode: value of ${JSON.stringify(key)} must be a string, number or boolean, got ${value === null ? 'null' : t}`)
}

/**
 * Serialises `data` as an `application/x-www-form-urlencoded` string. Keys keep their order;
 * an array value repeats its key once per item; `undefined` values are left out.
 *
 * @example
 * urlEncode({ q: 'a b', tag: ['x', 'y'], n: 1 }) // 'q=a+b&tag=x&tag=y&n=1'
 */
export function urlEncode(data: UrlEncodeInput): string {
  if (data instanceof URLSearchParams) return data.toString()
  const params = new URLSearchParams()
  if (Array.isArray(data)) {
    for (const pair of data) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new InvalidArgumentError('urlEncode: each entry must be a [name, value] pair')
      }
      params.append(String(pair[0]), scalar(String(pair[0]), pair[1]))
    }
    return params.toString()
  }
  if (typeof data !== 'object' || data === null) {
    throw new InvalidArgumentError('urlEncode: expected a record, URLSearchParams or [name, value] pairs')
  }
  for (const key of Object.keys(data)) {
    const value = data[key]
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, scalar(key, item))
    } else {
      params.append(key, scalar(key, value))
    }
  }
  return params.toString()
}
