import { describe, expect, it, test } from 'vitest'
import { assertMethod, assertPath, isSafeFieldValue, isToken, isValidatedHeaders, validatedHeaders } from './validate.js'
import { InvalidArgumentError } from './errors.js'

describe('validation', () => {
  it('tokens', () => {
    expect(isToken('GET')).toBe(true)
    expect(isToken("x-!#$%&'*+-.^_`|~09")).toBe(true)
    expect(isToken('')).toBe(false)
    expect(isToken('a b')).toBe(false)
    expect(isToken('a:b')).toBe(false)
    expect(isToken('é')).toBe(false)
  })

  it('field values', () => {
    expect(isSafeFieldValue('text/html; charset=utf-8')).toBe(true)
    expect(isSafeFieldValue('\t tab ok')).toBe(true)
    expect(isSafeFieldValue('a\rb')).toBe(false)
    expect(isSafeFieldValue('a\0b')).toBe(false)
    expect(isSafeFieldValue('snowman ☃')).toBe(false)
  })

  it('rejects every control character but HTAB, and DEL; keeps obs-text (issue 17, defect 10)', () => {
    for (let c = 0; c < 0x20; c++) expect(isSafeFieldValue(`a${String.fromCharCode(c)}b`)).toBe(c === 0x09)
    expect(isSafeFieldValue('a\x7fb')).toBe(false)
    expect(isSafeFieldValue('a\x1b[31mb')).toBe(false)
    expect(isSafeFieldValue('caf\xe9 \x80\xff')).toBe(true)
    expect(isSafeFieldValue(' !~')).toBe(true)
  })

  it('methods and paths', () => {
    expect(() => assertMethod('GET\r\n')).toThrow(InvalidArgumentError)
    expect(() => assertMethod('PATCH')).not.toThrow()
    expect(() => assertPath('/a b')).toThrow(InvalidArgumentError)
    expect(() => assertPath('/a\nb')).toThrow(InvalidArgumentError)
    expect(() => assertPath('/a?b=c%20d')).not.toThrow()
  })
})

describe('validatedHeaders', () => {
  test('checks, freezes and marks a list; a copy is not marked', () => {
    const flat = ['x-a', '1', 'x-b', 'two']
    const v = validatedHeaders(flat)
    expect(v).toBe(flat)
    expect(Object.isFrozen(v)).toBe(true)
    expect(isValidatedHeaders(v)).toBe(true)
    expect(isValidatedHeaders([...v])).toBe(false)
    expect(isValidatedHeaders(['x-a', '1'])).toBe(false)
  })

  test('a bad name or value, or an odd list, is an InvalidArgumentError and stays unmarked', () => {
    const bad = ['x-a', 'a\r\nb']
    expect(() => validatedHeaders(bad)).toThrow(InvalidArgumentError)
    expect(isValidatedHeaders(bad)).toBe(false)
    expect(() => validatedHeaders(['bad name', '1'])).toThrow(InvalidArgumentError)
    expect(() => validatedHeaders(['x-a'])).toThrow(InvalidArgumentError)
  })
})
