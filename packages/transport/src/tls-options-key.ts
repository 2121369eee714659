// The content key of a target's TLS options: which connections may resume each other's TLS
// sessions. A resumed session presents no certificate, so it may only be offered by a connection
// that would have trusted the certificate the session was made with — the same CA, client
// certificate, key and settings. Keys are computed from content, never object identity: a fresh
// `{ ca }` object per request with the same bytes shares sessions; a different CA never does.
import { createHash, type Hash } from 'node:crypto'
import type { TlsOptions } from './transport.js'

/**
 * Options that are not hashed here: the caller puts their normalised value into the session key
 * (servername, verification, pin), or they do not change what is trusted (ALPN, the session).
 */
const SEPARATE = new Set(['fingerprint', 'verify', 'rejectUnauthorized', 'servername', 'ALPNProtocols', 'session'])

/** Identity ids of values without comparable content (functions, SecureContext, KeyObject, …). */
const identities = new WeakMap<object, number>()
let nextIdentity = 1

/**
 * A base64url sha256 over a stable serialisation of `options` (keys sorted; strings, numbers,
 * booleans, bytes, arrays and plain objects by content; other objects and functions by identity),
 * or '' when nothing but the separately keyed options is set.
 *
 * Computed on every call, so mutating an options object between connects is seen.
 */
export function tlsOptionsKey(options: TlsOptions | null | undefined): string {
  if (options == null) return ''
  const rec = options as Record<string, unknown>
  const names = Object.keys(rec)
    .filter((k) => rec[k] !== undefined && !SEPARATE.has(k))
    .sort()
  if (names.length === 0) return ''
  const hash = createHash('sha256')
  feedRecord(hash, rec, names)
  return hash.digest('base64url')
}

function feedRecord(hash: Hash, rec: Record<string, unknown>, names: readonly string[]): void {
  hash.update(`o${names.length}{`)
  for (const k of names) {
    hash.update(`${Buffer.byteLength(k)}:${k}`)
    feed(hash, rec[k])
  }
  hash.update('}')
}

function feed(hash: Hash, v: unknown): void {
  if (v === undefined || v === null) hash.update('n;')
  else if (typeof v === 'string') hash.update(`s${Buffer.byteLength(v)}:`).update(v)
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') hash.update(`${typeof v}:${String(v)};`)
  else if (ArrayBuffer.isView(v)) hash.update(`b${v.byteLength}:`).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
  else if (v instanceof ArrayBuffer) hash.update(`b${v.byteLength}:`).update(new Uint8Array(v))
  else if (Array.isArray(v)) {
    hash.update(`a${v.length}[`)
    for (const x of v) feed(hash, x)
    hash.update(']')
  } else if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const rec = v as Record<string, unknown>
    feedRecord(
      hash,
      rec,
      Object.keys(rec)
        .filter((k) => rec[k] !== undefined)
        .sort(),
    )
  } else {
    const obj = v as object
    let id = identities.get(obj)
    if (id === undefined) {
      id = nextIdentity++
      identities.set(obj, id)
    }
    hash.update(`i${id};`)
  }
}
