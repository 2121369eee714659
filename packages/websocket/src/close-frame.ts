// Close frames (RFC 6455 §5.5.1, §7.4): reading the server's (code, UTF-8 reason), checking the
// code and reason we are asked to send.
import { InvalidArgumentError } from '@sonic/core'
import { ProtocolViolation } from './frame-reader.js'

/** A close code a server may send (1004-1006 and 1015 never go on the wire). */
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

/** The code (1005 when none) and reason of a server's close payload, or the violation it is. */
export function readClose(payload: Buffer): { code: number; reason: string } | ProtocolViolation {
  if (payload.length === 0) return { code: 1005, reason: '' }
  if (payload.length === 1) return new ProtocolViolation(1002, 'A close frame with a 1-byte payload')
  const code = payload.readUInt16BE(0)
  if (!validCloseCode(code)) return new ProtocolViolation(1002, `Invalid close code ${code}`)
  try {
    return { code, reason: new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(2)) }
  } catch {
    return new ProtocolViolation(1007, 'The close reason is not valid UTF-8')
  }
}

/**
 * Throws InvalidArgumentError unless we may send `code` with `reason` (≤ 123 bytes): any code
 * RFC 6455 lets go on the wire (1000-1003, 1007-1014, 3000-4999; e.g. 1001 "going away", which
 * aiohttp's close(code=…) also allows), not 1004-1006 or 1015.
 */
export function checkClose(code: unknown, reason: unknown): asserts reason is string {
  if (!Number.isInteger(code) || !validCloseCode(code as number)) {
    throw new InvalidArgumentError(`A close code must be 1000-1003, 1007-1014 or 3000-4999, got ${String(code)}`)
  }
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) throw new InvalidArgumentError('A close reason must be a string of at most 123 bytes')
}
