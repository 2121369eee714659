import { expect, test } from 'vitest'
import { tlsOptionsKey } from './tls-options-key.js'

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

test('equal content gives equal keys, whatever the objects and key order', () => {
  const a = tlsOptionsKey({ ca: Buffer.from(PEM), minVersion: 'TLSv1.2' })
  const b = tlsOptionsKey({ minVersion: 'TLSv1.2', ca: Buffer.from(PEM) })
  expect(a).toBe(b)
  expect(tlsOptionsKey({ ca: [PEM, PEM] })).toBe(tlsOptionsKey({ ca: [PEM, PEM] }))
  // Bytes count, not their container: a view of the same bytes is the same content.
  const big = Buffer.from(`xx${PEM}yy`)
  expect(tlsOptionsKey({ ca: big.subarray(2, 2 + PEM.length) })).toBe(tlsOptionsKey({ ca: Buffer.from(PEM) }))
})

test('different content gives different keys', () => {
  const keys = new Set([
    tlsOptionsKey({ ca: PEM }),
    tlsOptionsKey({ ca: Buffer.from(PEM) }),
    tlsOptionsKey({ ca: [PEM] }),
    tlsOptionsKey({ ca: PEM + '\n' }),
    tlsOptionsKey({ ca: PEM, cert: PEM }),
    tlsOptionsKey({ cert: PEM }),
    tlsOptionsKey({ minVersion: 'TLSv1.3' }),
  ])
  expect(keys.size).toBe(7)
})

test('separately keyed options and undefined values leave the key empty', () => {
  expect(tlsOptionsKey(null)).toBe('')
  expect(tlsOptionsKey({})).toBe('')
  expect(tlsOptionsKey({ servername: 'a', rejectUnauthorized: false, verify: false, fingerprint: 'ab', ALPNProtocols: ['h2'], ca: undefined })).toBe('')
})

test('functions and class instances count by identity', () => {
  const check = () => undefined
  expect(tlsOptionsKey({ checkServerIdentity: check })).toBe(tlsOptionsKey({ checkServerIdentity: check }))
  expect(tlsOptionsKey({ checkServerIdentity: check })).not.toBe(tlsOptionsKey({ checkServerIdentity: () => undefined }))
})

test('a mutated options object gets a new key', () => {
  const opts: { ca: string } = { ca: PEM }
  const before = tlsOptionsKey(opts)
  opts.ca = PEM + 'x'
  expect(tlsOptionsKey(opts)).not.toBe(before)
})
