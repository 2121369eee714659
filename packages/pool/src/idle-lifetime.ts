/**
 * How long (ms) a released connection may stay idle: `maxConnIdleMs`, shortened by the server's
 * `Keep-Alive: timeout` less a safety margin (500 ms, or half the timeout when it is at most
 * 1 s), so the pool gives the connection up before the server does. 0 or less: do not keep it.
 */
export function idleLifetime(maxConnIdleMs: number, keepAliveTimeout: number | null): number {
  if (keepAliveTimeout === null || !(keepAliveTimeout >= 0)) return maxConnIdleMs
  return Math.min(maxConnIdleMs, keepAliveTimeout - Math.min(500, keepAliveTimeout / 2))
}
