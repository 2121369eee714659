import { InvalidArgumentError } from '@sonic/core'
import { expect, test } from 'vitest'
import { normaliseFingerprint } from './fingerprint.js'

const HEX = 'ab'.repeat(32)

test('accepts plain hex, upper case and colon-separated pins', () => {
  expect(normaliseFingerprint(HEX)).toBe(HEX)
  expect(normaliseFingerprint(HEX.toUpperCase())).toBe(HEX)
  expect(normaliseFingerprint(Array(32).fill('AB').join(':'))).toBe(HEX)
})

test('rejects what is not a sha256 in hex', () => {
  for (const bad of ['abc', 'zz'.repeat(32), 'ab'.repeat(33), '', 42, null]) {
    expect(() => normaliseFingerprint(bad)).toThrow(InvalidArgumentError)
  }
})
