// HTTP/2 error codes (RFC 9113 §7) by name, and the mark that says a failed stream may be sent
// again on another session (the server never processed it).
import { Http2Error } from '@sonic/core'

const NAMES: readonly string[] = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
]

/** @internal RST_STREAM / GOAWAY code → its name, e.g. 7 → 'REFUSED_STREAM'. */
export function http2CodeName(code: number): string {
  return NAMES[code] ?? `UNKNOWN_${code}`
}

/** @internal */
export const CANCEL = 8
/** @internal */
export const REFUSED_STREAM = 7

const retryable = new WeakSet<object>()

/** @internal Marks `err` as safe to send again on another session. */
export function markRetryable<E extends Error>(err: E): E {
  retryable.add(err)
  return err
}

/**
 * True when a request failed without the server processing it, so it may be sent once more on
 * another session: the stream was refused (`REFUSED_STREAM`), or it was above the last stream id
 * of the server's GOAWAY, or it was never opened because the session was going away. The body
 * must be replayable (bytes, or a StreamBody with `replayable: true`) to retry it.
 *
 * @example
 * try {
 *   await conn.request(req)
 * } catch (err) {
 *   if (isRetryableHttp2Error(err)) await otherConn.request(req)
 *   else throw err
 * }
 */
export function isRetryableHttp2Error(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  if (retryable.has(err)) return true
  return err instanceof Http2Error && err.http2Code === 'REFUSED_STREAM'
}
