import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { assertBoundary, boundaryParam, randomBoundary } from './boundary.js'

describe('boundary', () => {
  it('random boundaries carry 128 random bits and differ', () => {
    const a = randomBoundary()
    const b = randomBoundary()
    expect(a).toMatch(/^----sonic[0-9a-f]{32}$/)
    expect(a).not.toBe(b)
    expect(() => assertBoundary(a)).not.toThrow()
  })

  it('accepts RFC 2046 bchars and refuses the rest', () => {
    for (const ok of ['x', "AZaz09'()+_,-./:=?", 'a'.repeat(70)]) expect(() => assertBoundary(ok)).not.toThrow()
    for (const bad of ['', 'a'.repeat(71), 'has space', 'quote"', 'semi;colon', 'crlf\r\n', 'ünï', 42]) {
      expect(() => assertBoundary(bad)).toThrow(InvalidArgumentError)
    }
  })

  it('quotes the boundary parameter only when it is not a token', () => {
    expect(boundaryParam('----sonicabc')).toBe('----sonicabc')
    expect(boundaryParam('a:b')).toBe('"a:b"')
    expect(boundaryParam('(x)')).toBe('"(x)"')
  })
})
