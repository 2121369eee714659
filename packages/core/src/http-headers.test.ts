import { describe, expect, it } from 'vitest'
import { HttpHeaders } from './http-headers.js'
import { InvalidArgumentError } from './errors.js'

describe('HttpHeaders', () => {
  it('is case-insensitive and multi-valued, joining with ", "', () => {
    const h = new HttpHeaders([
      ['Accept', 'a'],
      ['X-Multi', '1'],
      ['x-multi', '2'],
    ])
    expect(h.get('accept')).toBe('a')
    expect(h.get('X-MULTI')).toBe('1, 2')
    expect(h.getAll('x-multi')).toEqual(['1', '2'])
    expect(h.has('ACCEPT')).toBe(true)
    expect(h.get('missing')).toBeNull()
    expect(h.getAll('missing')).toEqual([])
  })

  it('never joins set-cookie', () => {
    const h = HttpHeaders.fromFlat(['Set-Cookie', 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'Set-Cookie', 'b=2'])
    expect(h.get('set-cookie')).toBe('a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT')
    expect(h.getSetCookie()).toEqual(['a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'b=2'])
    expect(h.toJSON()['set-cookie']).toEqual(['a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'b=2'])
  })

  it('iterates in insertion order with names as given', () => {
    const h = new HttpHeaders({ 'Content-Type': 'text/plain', 'X-A': ['1', '2'], Skip: undefined, N: 5 })
    expect([...h]).toEqual([
      ['Content-Type', 'text/plain'],
      ['X-A', '1'],
      ['X-A', '2'],
      ['N', '5'],
    ])
    expect([...h.keys()]).toEqual(['Content-Type', 'X-A', 'X-A', 'N'])
    expect(h.size).toBe(4)
  })

  it('set replaces all values, delete removes them, append adds', () => {
    const h = new HttpHeaders([
      ['a', '1'],
      ['B', '2'],
      ['A', '3'],
    ])
    h.set('a', 'x')
    expect(h.getAll('a')).toEqual(['x'])
    expect([...h.keys()]).toEqual(['B', 'a'])
    h.append('b', '4')
    expect(h.get('b')).toBe('2, 4')
    h.delete('B')
    expect(h.has('b')).toBe(false)
    expect(h.size).toBe(1)
  })

  it('accepts web Headers and HttpHeaders', () => {
    const web = new Headers({ 'x-one': '1' })
    expect(new HttpHeaders(web).get('X-One')).toBe('1')
    const copy = new HttpHeaders(new HttpHeaders({ a: 'b' }))
    expect(copy.get('a')).toBe('b')
    expect(HttpHeaders.from(copy)).toBe(copy)
    expect(copy.toWebHeaders().get('a')).toBe('b')
  })

  it.each([
    ['a\r\nb', 'v'],
    ['bad name', 'v'],
    ['', 'v'],
    ['ok', 'evil\r\nX-Injected: 1'],
    ['ok', 'nul\0'],
    ['ok', 'lf\n'],
  ])('rejects %j: %j with InvalidArgumentError', (name, value) => {
    expect(() => new HttpHeaders([[name, value]])).toThrow(InvalidArgumentError)
  })

  it('builds lazily from a thunk, once', () => {
    let calls = 0
    const h = HttpHeaders.lazy(() => {
      calls++
      return ['Content-Length', '3']
    })
    expect(calls).toBe(0)
    expect(h.get('content-length')).toBe('3')
    expect(h.get('content-length')).toBe('3')
    expect(calls).toBe(1)
  })

  it('toJSON lower-cases names and joins values', () => {
    const h = new HttpHeaders([
      ['X-A', '1'],
      ['x-a', '2'],
    ])
    expect(h.toJSON()).toEqual({ 'x-a': '1, 2' })
    expect(JSON.parse(JSON.stringify(h))).toEqual({ 'x-a': '1, 2' })
  })

  it('clone is independent', () => {
    const h = new HttpHeaders({ a: '1' })
    const c = h.clone()
    c.set('a', '2')
    expect(h.get('a')).toBe('1')
  })
})

describe('HttpHeaders lookups on small and large sets agree', () => {
  it('scan and index give the same answers', () => {
    const pairs: [string, string][] = [
      ['Content-Type', 'text/plain'],
      ['X-A', '1'],
      ['x-a', '2'],
      ['Set-Cookie', 'a=1, b'],
      ['set-cookie', 'c=2'],
    ]
    const small = new HttpHeaders(pairs)
    const many: [string, string][] = [...pairs]
    for (let i = 0; i < 30; i++) many.push([`x-filler-${i}`, String(i)])
    const large = new HttpHeaders(many)
    for (const h of [small, large]) {
      expect(h.get('content-type')).toBe('text/plain')
      expect(h.get('X-A')).toBe('1, 2')
      expect(h.get('set-cookie')).toBe('a=1, b')
      expect(h.get('SET-COOKIE')).toBe('a=1, b')
      expect(h.get('nope')).toBeNull()
    }
  })
})
