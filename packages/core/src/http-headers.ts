// Case-insensitive, multi-valued headers that keep the order (and spelling) they were given in.
// Storage is one flat array [name, value, name, value, …]; the lower-cased index used by get()
// is built only on first lookup, so a response whose headers nobody reads costs one array.
import { assertHeaderName, assertHeaderValue } from './validate.js'

/** Every form a user may give headers in. */
export type HeadersInit =
  | HttpHeaders
  | Headers
  | Record<string, string | number | readonly string[] | undefined>
  | Iterable<readonly [string, string]>

const SET_COOKIE = 'set-cookie'
/** Up to this many flat entries (name + value), get() scans instead of indexing. */
const SCAN_LIMIT = 24

export class HttpHeaders implements Iterable<[string, string]> {
  /** Flat [name, value, …] in insertion order, names as given. */
  #flat: string[]
  /** lower-case name → indexes (into #flat, of the name) ; built lazily. */
  #index: Map<string, number[]> | null = null
  /** Lazy source: produces the flat array on first use. */
  #thunk: (() => string[]) | null = null

  /**
   * @param init headers in any accepted form; names and values are validated
   *   (CR, LF, NUL → InvalidArgumentError).
   * @example new HttpHeaders({ accept: 'application/json' })
   */
  constructor(init?: HeadersInit) {
    this.#flat = []
    if (init !== undefined && init !== null) this.#fill(init)
  }

  /** Builds headers from a trusted flat [name, value, …] array without copying or validating it. */
  static fromFlat(flat: string[]): HttpHeaders {
    const h = new HttpHeaders()
    h.#flat = flat
    return h
  }

  /** Builds headers whose flat [name, value, …] array is produced by `thunk` on first use. */
  static lazy(thunk: () => string[]): HttpHeaders {
    const h = new HttpHeaders()
    h.#thunk = thunk
    return h
  }

  /** `init` as HttpHeaders: returned as is when it already is one. */
  static from(init?: HeadersInit | null): HttpHeaders {
    return init instanceof HttpHeaders ? init : new HttpHeaders(init ?? undefined)
  }

  #fill(init: HeadersInit): void {
    if (init instanceof HttpHeaders) {
      const src = init.flat
      for (let i = 0; i < src.length; i++) this.#flat.push(src[i]!)
      return
    }
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError('Header pairs must be [name, value] tuples')
        }
        this.append(pair[0], pair[1])
      }
      return
    }
    for (const name of Object.keys(init)) {
      const v = (init as Record<string, string | number | readonly string[] | undefined>)[name]
      if (v === undefined) continue
      if (Array.isArray(v)) for (const item of v) this.append(name, item)
      else this.append(name, String(v))
    }
  }

  /** The flat [name, value, …] array (shared, do not mutate). */
  get flat(): string[] {
    if (this.#thunk !== null) {
      this.#flat = this.#thunk()
      this.#thunk = null
    }
    return this.#flat
  }

  #getIndex(): Map<string, number[]> {
    let index = this.#index
    if (index === null) {
      index = new Map()
      const flat = this.flat
      for (let i = 0; i < flat.length; i += 2) {
        const key = flat[i]!.toLowerCase()
        const list = index.get(key)
        if (list === undefined) index.set(key, [i])
        else list.push(i)
      }
      this.#index = index
    }
    return index
  }

  /**
   * The value of `name` (case-insensitive); several values are joined with ', '.
   * `set-cookie` is never joined (its values may contain commas): get() returns the first one,
   * use getAll('set-cookie') or getSetCookie() for all. Null when absent.
   */
  get(name: string): string | null {
    // Small header sets (most responses) are scanned without building the index.
    if (this.#index === null && this.flat.length <= SCAN_LIMIT) return this.#scan(name)
    const idx = this.#getIndex().get(name.toLowerCase())
    if (idx === undefined) return null
    const flat = this.#flat
    if (idx.length === 1) return flat[idx[0]! + 1]!
    if (name.length === 10 && name.toLowerCase() === SET_COOKIE) return flat[idx[0]! + 1]!
    let out = flat[idx[0]! + 1]!
    for (let i = 1; i < idx.length; i++) out += ', ' + flat[idx[i]! + 1]!
    return out
  }

  #scan(name: string): string | null {
    const flat = this.#flat
    const len = name.length
    let lower: string | null = null
    let out: string | null = null
    for (let i = 0; i < flat.length; i += 2) {
      const n = flat[i]!
      if (n.length !== len) continue
      if (n !== name) {
        if (lower === null) lower = name.toLowerCase()
        if (n.toLowerCase() !== lower) continue
      }
      const v = flat[i + 1]!
      if (out === null) out = v
      else if (len === 10 && (lower ?? name.toLowerCase()) === SET_COOKIE) return out
      else out += ', ' + v
    }
    return out
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const idx = this.#getIndex().get(name.toLowerCase())
    if (idx === undefined) return []
    const flat = this.#flat
    return idx.map((i) => flat[i + 1]!)
  }

  /** Every Set-Cookie value, like fetch's Headers.getSetCookie(). */
  getSetCookie(): string[] {
    return this.getAll(SET_COOKIE)
  }

  has(name: string): boolean {
    return this.#getIndex().has(name.toLowerCase())
  }

  /** Replaces every value of `name` with `value`. */
  set(name: string, value: string): this {
    assertHeaderName(name)
    assertHeaderValue(name, value)
    this.#remove(name.toLowerCase())
    this.#flat.push(name, value)
    this.#index = null
    return this
  }

  /** Adds a value, keeping existing ones. */
  append(name: string, value: string): this {
    assertHeaderName(name)
    assertHeaderValue(name, value)
    this.flat.push(name, value)
    this.#index = null
    return this
  }

  delete(name: string): this {
    this.#remove(name.toLowerCase())
    return this
  }

  #remove(lower: string): void {
    const flat = this.flat
    let w = 0
    for (let r = 0; r < flat.length; r += 2) {
      if (flat[r]!.toLowerCase() === lower) continue
      flat[w] = flat[r]!
      flat[w + 1] = flat[r + 1]!
      w += 2
    }
    if (w !== flat.length) {
      flat.length = w
      this.#index = null
    }
  }

  /** Number of name/value pairs. */
  get size(): number {
    return this.flat.length >> 1
  }

  /** [name, value] pairs in order, names as received. */
  *entries(): IterableIterator<[string, string]> {
    const flat = this.flat
    for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!]
  }

  *keys(): IterableIterator<string> {
    const flat = this.flat
    for (let i = 0; i < flat.length; i += 2) yield flat[i]!
  }

  *values(): IterableIterator<string> {
    const flat = this.flat
    for (let i = 1; i < flat.length; i += 2) yield flat[i]!
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }

  forEach(fn: (value: string, name: string, headers: this) => void): void {
    const flat = this.flat
    for (let i = 0; i < flat.length; i += 2) fn(flat[i + 1]!, flat[i]!, this)
  }

  /** Lower-case names to values (joined as get() does; set-cookie as an array of all values). */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {}
    for (const key of this.#getIndex().keys()) {
      out[key] = key === SET_COOKIE ? this.getAll(key) : this.get(key)!
    }
    return out
  }

  /** A web Headers object with the same content. */
  toWebHeaders(): Headers {
    const h = new Headers()
    const flat = this.flat
    for (let i = 0; i < flat.length; i += 2) h.append(flat[i]!, flat[i + 1]!)
    return h
  }

  /** A copy that can be changed independently. */
  clone(): HttpHeaders {
    return HttpHeaders.fromFlat(this.flat.slice())
  }

  get [Symbol.toStringTag](): string {
    return 'HttpHeaders'
  }
}
