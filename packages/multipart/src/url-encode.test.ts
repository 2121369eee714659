import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { urlEncode } from './url-encode.js'

describe('urlEncode', () => {
  it('encodes a record; arrays repeat the key; numbers and booleans via String()', () => {
    expect(urlEncode({ q: 'a b', tag: ['x', 'y'], n: 1.5, ok: true, skipped: undefined })).toBe('q=a+b&tag=x&tag=y&n=1.5&ok=true')
  })

  it('percent-encodes like URLSearchParams: reserved characters, UTF-8, and + itself', () => {
    expect(urlEncode({ 'k&=': 'v&=?#+%/', ü: '日本 🚀', star: "*-._~!'()" })).toBe(
      'k%26%3D=v%26%3D%3F%23%2B%25%2F&%C3%BC=%E6%97%A5%E6%9C%AC+%F0%9F%9A%80&star=*-._%7E%21%27%28%29',
    )
    // Round-trips through a standard parser.
    const parsed = new URLSearchParams(urlEncode({ a: 'x+y z', b: ['1', '2'] }))
    expect([...parsed]).toEqual([['a', 'x+y z'], ['b', '1'], ['b', '2']])
  })

  it('accepts URLSearchParams and [name, value] pairs', () => {
    expect(urlEncode(new URLSearchParams([['a', '1'], ['a', '2 3']]))).toBe('a=1&a=2+3')
    expect(urlEncode([['x', 'é'], ['x', '&']])).toBe('x=%C3%A9&x=%26')
    expect(urlEncode({})).toBe('')
    expect(urlEncode([])).toBe('')
  })

  it('refuses values that are not strings, numbers or booleans', () => {
    expect(() => urlEncode({ a: null as unknown as string })).toThrow(InvalidArgumentError)
    expect(() => urlEncode({ a: { nested: 1 } as unknown as string })).toThrow(/value of "a"/)
    expect(() => urlEncode({ a: [1, {}] as unknown as string[] })).toThrow(InvalidArgumentError)
    expect(() => urlEncode([['only-name']] as unknown as [string, string][])).toThrow(InvalidArgumentError)
    expect(() => urlEncode(null as unknown as Record<string, string>)).toThrow(InvalidArgumentError)
  })
})
