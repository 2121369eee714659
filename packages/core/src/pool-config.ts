import { InvalidArgumentError } from './errors.js'

/** Settings of one connection pool. */
export interface PoolConfigInit {
  /**
   * Most connections open at once to one origin.
   * @default 30
   */
  size?: number
  /**
   * Requests a connection serves before it is closed and replaced; `null` for unlimited.
   * @default 1000
   */
  maxConnRequests?: number | null
  /**
   * How long (ms) an idle connection is kept before it is closed.
   * @default 60000
   */
  maxConnIdleMs?: number
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(v)}`)
  }
  return v
}

/** Immutable, validated pool settings. */
export class PoolConfig {
  readonly size: number
  readonly maxConnRequests: number | null
  readonly maxConnIdleMs: number

  constructor(init: PoolConfigInit = {}) {
    this.size = init.size === undefined ? 30 : positiveInt('size', init.size)
    this.maxConnRequests =
      init.maxConnRequests === undefined ? 1000 : init.maxConnRequests === null ? null : positiveInt('maxConnRequests', init.maxConnRequests)
    const idle = init.maxConnIdleMs === undefined ? 60000 : init.maxConnIdleMs
    if (typeof idle !== 'number' || !Number.isFinite(idle) || idle < 0) {
      throw new InvalidArgumentError(`maxConnIdleMs must be a non-negative number of ms, got ${String(idle)}`)
    }
    this.maxConnIdleMs = idle
    Object.freeze(this)
  }

  static readonly DEFAULT: PoolConfig = new PoolConfig()

  static from(init: PoolConfig | PoolConfigInit | null | undefined): PoolConfig {
    if (init === undefined || init === null) return PoolConfig.DEFAULT
    return init instanceof PoolConfig ? init : new PoolConfig(init)
  }
}
