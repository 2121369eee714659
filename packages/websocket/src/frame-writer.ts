// Client → server frames (RFC 6455 §5.2, §5.3): header, a masking key and the masked payload in
// one buffer, so one socket write carries one frame. Masking keys come from a pool of random
// bytes filled by crypto.randomFillSync 1024 keys at a time, not one random call per frame. The
// payload is copied once, into the frame (masking must not touch the caller's bytes); a string
// is encoded straight into it.
import { randomFillSync } from 'node:crypto'

const POOL_SIZE = 4096
const pool = Buffer.allocUnsafe(POOL_SIZE)
let poolOffset = POOL_SIZE

function headerLength(len: number): number {
  return len < 126 ? 6 : len < 0x10000 ? 8 : 14
}

/**
 * One masked frame: `fin` set, `rsv1` when the payload is compressed. `payload` is bytes, or a
 * string to encode as UTF-8 (`byteLength` its encoded length).
 */
export function encodeFrame(opcode: number, rsv1: boolean, payload: Uint8Array | string, byteLength: number): Buffer {
  const start = headerLength(byteLength)
  const frame = Buffer.allocUnsafe(start + byteLength)
  frame[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode
  if (byteLength < 126) {
    frame[1] = 0x80 | byteLength
  } else if (byteLength < 0x10000) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(byteLength, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeUInt32BE(Math.floor(byteLength / 0x100000000), 2)
    frame.writeUInt32BE(byteLength >>> 0, 6)
  }
  if (poolOffset === POOL_SIZE) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const m = start - 4
  pool.copy(frame, m, poolOffset, poolOffset + 4)
  poolOffset += 4
  if (typeof payload === 'string') frame.write(payload, start, 'utf8')
  else frame.set(payload, start)
  mask(frame, m, start, start + byteLength)
  return frame
}

/** XORs frame[from, to) with the 4-byte key at frame[key]. */
function mask(frame: Buffer, key: number, from: number, to: number): void {
  const k0 = frame[key]!
  const k1 = frame[key + 1]!
  const k2 = frame[key + 2]!
  const k3 = frame[key + 3]!
  let i = from
  const end4 = from + ((to - from) & ~3)
  for (; i < end4; i += 4) {
    frame[i] ^= k0
    frame[i + 1] ^= k1
    frame[i + 2] ^= k2
    frame[i + 3] ^= k3
  }
  if (i < to) frame[i++] ^= k0
  if (i < to) frame[i++] ^= k1
  if (i < to) frame[i] ^= k2
}

/** The payload of a close frame: the code (none for 1005) and the UTF-8 reason. */
export function closePayload(code: number, reason: string): Buffer {
  if (code === 1005) return Buffer.alloc(0)
  const len = Buffer.byteLength(reason)
  const out = Buffer.allocUnsafe(2 + len)
  out.writeUInt16BE(code, 0)
  out.write(reason, 2, 'utf8')
  return out
}
