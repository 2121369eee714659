/** Marker shared by every copy of @sonic/core, so `instanceof` works across duplicate installs. */
const MARK = Symbol.for('sonic.error')

/** Options every sonic error accepts. */
export interface SonicErrorOptions {
  /** The underlying error (an OS or TLS error for network failures). */
  cause?: unknown
}

/**
 * The base class of every error sonic throws. Each subclass has a stable `code`
 * (e.g. `SONIC_CONNECT_ERROR`) that is safe to switch on.
 */
export class SonicError extends Error {
  /** Stable machine-readable code of this error class. */
  static readonly code: string = 'SONIC_ERROR'
  /** Stable machine-readable code, equal to the class's static `code`. */
  readonly code: string
  /** The method of the request this error belongs to, when it belongs to one. */
  declare readonly method?: string
  /** The URL (without its query) of the request this error belongs to, when it belongs to one. */
  declare readonly url?: string
  declare readonly [MARK]: true

  constructor(message: string, options?: SonicErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    const ctor = new.target as typeof SonicError
    this.name = ctor.name
    this.code = ctor.code
    Object.defineProperty(this, MARK, { value: true })
  }

  /**
   * `err instanceof ConnectError` is true for a ConnectError from another copy of this package
   * too: it matches on the shared marker and the class's code.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[MARK] !== true) {
      return false
    }
    // The base class matches every sonic error; a subclass matches errors with its code.
    if (this.code === SonicError.code && Object.hasOwn(this, 'code')) return true
    return (value as { code?: unknown }).code === this.code
  }
}

/** True when `value` is an error thrown by any copy of sonic. */
export function isSonicError(value: unknown): value is SonicError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true
}

/**
 * Names the request `err` belongs to: sets `method` and `url` (query left out: it may carry
 * secrets) and appends them to the message. Errors that already name a request, and values that
 * are not sonic errors, are returned as they are.
 */
export function attachRequest(err: unknown, method: string, url: string): unknown {
  if (!isSonicError(err) || err.url !== undefined) return err
  const q = url.indexOf('?')
  const shown = q === -1 ? url : url.slice(0, q)
  Object.defineProperty(err, 'method', { value: method, enumerable: true })
  Object.defineProperty(err, 'url', { value: shown, enumerable: true })
  err.message = `${err.message} (${method} ${shown})`
  return err
}
