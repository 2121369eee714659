import { describe, expect, test } from 'vitest'
import { closePayload, encodeFrame } from './frame-writer.js'

/** Unmasks a frame encodeFrame made: header fields and the payload. */
function decode(f: Buffer): { fin: boolean; rsv1: boolean; opcode: number; masked: boolean; key: Buffer; payload: Buffer } {
  let len = f[1]! & 0x7f
  let p = 2
  if (len === 126) {
    len = f.readUInt16BE(2)
    p = 4
  } else if (len === 127) {
    len = Number(f.readBigUInt64BE(2))
    p = 10
  }
  const key = f.subarray(p, p + 4)
  const payload = Buffer.from(f.subarray(p + 4))
  for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i % 4]!
  expect(payload.length).toBe(len)
  return { fin: (f[0]! & 0x80) !== 0, rsv1: (f[0]! & 0x40) !== 0, opcode: f[0]! & 0x0f, masked: (f[1]! & 0x80) !== 0, key, payload }
}

describe('encodeFrame', () => {
  test.each([0, 1, 3, 4, 5, 125, 126, 127, 65535, 65536, 70001])('a masked frame of %i bytes round-trips', (n) => {
    const data = Buffer.alloc(n)
    for (let i = 0; i < n; i++) data[i] = (i * 7) & 0xff
    const f = encodeFrame(0x2, false, data, n)
    const d = decode(f)
    expect(d).toMatchObject({ fin: true, rsv1: false, opcode: 2, masked: true })
    expect(d.payload.equals(data)).toBe(true)
    expect(f.length).toBe(n + (n < 126 ? 6 : n < 65536 ? 8 : 14))
  })

  test('a string is encoded as UTF-8 into the frame; the caller’s bytes are not touched', () => {
    const f = encodeFrame(0x1, true, 'héllo ✓', Buffer.byteLength('héllo ✓'))
    expect(decode(f)).toMatchObject({ rsv1: true, opcode: 1 })
    expect(decode(f).payload.toString()).toBe('héllo ✓')
    const mine = new Uint8Array([1, 2, 3])
    encodeFrame(0x2, false, mine, 3)
    expect([...mine]).toEqual([1, 2, 3])
  })

  test('masking keys differ from frame to frame, across pool refills', () => {
    const keys = new Set<string>()
    for (let i = 0; i < 3000; i++) keys.add(decode(encodeFrame(0x9, false, new Uint8Array(0), 0)).key.toString('hex'))
    expect(keys.size).toBeGreaterThan(2990)
  })

  test('closePayload: code and reason; none for 1005', () => {
    expect([...closePayload(1000, '')]).toEqual([0x03, 0xe8])
    expect(closePayload(4001, 'ok').subarray(2).toString()).toBe('ok')
    expect(closePayload(1005, 'ignored').length).toBe(0)
  })
})
