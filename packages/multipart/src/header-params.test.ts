import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { assertPartHeaderValue, escapeParam, partHead } from './header-params.js'

describe('escapeParam', () => {
  it('percent-encodes ", CR and LF and nothing else', () => {
    expect(escapeParam('a"b\rc\nd')).toBe('a%22b%0Dc%0Ad')
    expect(escapeParam('back\\slash; semi=colon %20 ünï 🚀')).toBe('back\\slash; semi=colon %20 ünï 🚀')
    expect(escapeParam('')).toBe('')
  })
})

describe('assertPartHeaderValue', () => {
  it('refuses CR, LF and NUL', () => {
    for (const bad of ['text/plain\r\nX-Evil: 1', 'a\nb', 'a\rb', 'a\0b']) {
      expect(() => assertPartHeaderValue('content type', bad)).toThrow(InvalidArgumentError)
    }
    expect(() => assertPartHeaderValue('content type', 'text/plain; charset=utf-8')).not.toThrow()
  })
})

describe('partHead', () => {
  it('frames a field, a file and a typed field', () => {
    expect(partHead('B', 'n', undefined, undefined)).toBe('\r\n--B\r\nContent-Disposition: form-data; name="n"\r\n\r\n')
    expect(partHead('B', 'n', 'f "1".txt', 'text/plain')).toBe(
      '\r\n--B\r\nContent-Disposition: form-data; name="n"; filename="f %221%22.txt"\r\nContent-Type: text/plain\r\n\r\n',
    )
    expect(partHead('B', 'a\nb', undefined, 'application/json')).toBe(
      '\r\n--B\r\nContent-Disposition: form-data; name="a%0Ab"\r\nContent-Type: application/json\r\n\r\n',
    )
  })
})
