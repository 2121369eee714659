import { InvalidArgumentError } from './errors.js'

/** Timeouts in milliseconds; `null` disables one. */
export interface TimeoutsInit {
  /**
   * Limit for establishing the TCP connection (and TLS handshake).
   * @default 5000
   */
  sockConnect?: number | null
  /**
   * Limit for each wait for bytes from the server.
   * @default 30000
   */
  sockRead?: number | null
  /**
   * Limit for waiting for a free pooled connection.
   * @default null
   */
  poolAcquire?: number | null
  /**
   * Limit for the whole request, body included.
   * @default 60000
   */
  requestTimeout?: number | null
}

const KEYS = ['sockConnect', 'sockRead', 'poolAcquire', 'requestTimeout'] as const

function check(name: string, v: unknown): number | null {
  if (v === null) return null
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(`timeouts.${name} must be a non-negative number of ms or null, got ${String(v)}`)
  }
  return v
}

/**
 * Immutable timeout settings (ms).
 * @example new Timeouts({ sockConnect: 1000, requestTimeout: null })
 */
export class Timeouts {
  readonly sockConnect: number | null
  readonly sockRead: number | null
  readonly poolAcquire: number | null
  readonly requestTimeout: number | null

  constructor(init: TimeoutsInit = {}) {
    this.sockConnect = init.sockConnect === undefined ? 5000 : check('sockConnect', init.sockConnect)
    this.sockRead = init.sockRead === undefined ? 30000 : check('sockRead', init.sockRead)
    this.poolAcquire = init.poolAcquire === undefined ? null : check('poolAcquire', init.poolAcquire)
    this.requestTimeout = init.requestTimeout === undefined ? 60000 : check('requestTimeout', init.requestTimeout)
    Object.freeze(this)
  }

  /** The default timeouts. */
  static readonly DEFAULT: Timeouts = new Timeouts()

  /**
   * Normalises user input: a Timeouts instance is used as is; a plain object overrides only the
   * fields it sets on top of `base`.
   */
  static from(init: Timeouts | TimeoutsInit | null | undefined, base: Timeouts = Timeouts.DEFAULT): Timeouts {
    if (init === undefined || init === null) return base
    if (init instanceof Timeouts) return init
    if (typeof init !== 'object') throw new InvalidArgumentError('timeouts must be an object')
    const merged: TimeoutsInit = {}
    for (const k of KEYS) merged[k] = init[k] === undefined ? base[k] : init[k]
    return new Timeouts(merged)
  }
}
