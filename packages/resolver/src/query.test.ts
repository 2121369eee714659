import { describe, expect, it } from 'vitest'
import { DnsError, InvalidArgumentError } from '@sonic/core'
import { isLocalhost, literalAnswer, localhostAnswer, parseQuery, sortByFamily, toDnsError } from './query.js'

describe('parseQuery', () => {
  it('recognises IPv4 and IPv6 literals, with or without brackets', () => {
    expect(parseQuery('127.0.0.1', 80).ip).toBe('127.0.0.1')
    expect(parseQuery('::1').ip).toBe('::1')
    expect(parseQuery('[::1]', 443).ip).toBe('::1')
    expect(parseQuery('[2001:db8::1]').ip).toBe('2001:db8::1')
    expect(parseQuery('example.com').ip).toBeNull()
  })

  it('rejects bad input with InvalidArgumentError', () => {
    for (const host of ['', '[127.0.0.1]', '[::1', 'a b', 'ex/ample', 'user@host', 'host:80', '.lead', 'x'.repeat(300)]) {
      expect(() => parseQuery(host), host).toThrow(InvalidArgumentError)
    }
    expect(() => parseQuery(undefined)).toThrow(InvalidArgumentError)
    expect(() => parseQuery('a.test', -1)).toThrow(InvalidArgumentError)
    expect(() => parseQuery('a.test', 65536)).toThrow(InvalidArgumentError)
    expect(() => parseQuery('a.test', 1.5)).toThrow(InvalidArgumentError)
    expect(() => parseQuery('a.test', 80, 5)).toThrow(InvalidArgumentError)
  })
})

describe('literalAnswer', () => {
  it('answers with the literal itself and the port', () => {
    expect(literalAnswer(parseQuery('[::1]', 8080))).toEqual([{ hostname: '[::1]', host: '::1', port: 8080, family: 6 }])
    expect(literalAnswer(parseQuery('10.0.0.1', 1, 4))).toEqual([{ hostname: '10.0.0.1', host: '10.0.0.1', port: 1, family: 4 }])
  })

  it('throws DnsError when the literal is not of the family asked for', () => {
    expect(() => literalAnswer(parseQuery('10.0.0.1', 0, 6))).toThrow(DnsError)
    expect(() => literalAnswer(parseQuery('::1', 0, 4))).toThrow(DnsError)
  })
})

describe('localhost', () => {
  it('matches localhost and *.localhost only', () => {
    expect(isLocalhost('localhost')).toBe(true)
    expect(isLocalhost('LOCALHOST.')).toBe(true)
    expect(isLocalhost('app.localhost')).toBe(true)
    expect(isLocalhost('localhost.example.com')).toBe(false)
    expect(isLocalhost('notlocalhost')).toBe(false)
  })

  it('answers the loopback addresses in the requested order and family', () => {
    expect(localhostAnswer(parseQuery('localhost', 1), 'ipv4first').map((a) => a.host)).toEqual(['127.0.0.1', '::1'])
    expect(localhostAnswer(parseQuery('localhost', 1), 'ipv6first').map((a) => a.host)).toEqual(['::1', '127.0.0.1'])
    expect(localhostAnswer(parseQuery('localhost', 1, 6), 'ipv4first').map((a) => a.host)).toEqual(['::1'])
  })
})

describe('sortByFamily', () => {
  it('is stable within a family', () => {
    const list = [
      { family: 6 as const, n: 1 },
      { family: 4 as const, n: 2 },
      { family: 6 as const, n: 3 },
      { family: 4 as const, n: 4 },
    ]
    expect(sortByFamily([...list], 'ipv4first').map((a) => a.n)).toEqual([2, 4, 1, 3])
    expect(sortByFamily([...list], 'ipv6first').map((a) => a.n)).toEqual([1, 3, 2, 4])
  })
})

describe('toDnsError', () => {
  it('keeps the OS error as cause and names the host', () => {
    const os = Object.assign(new Error('getaddrinfo ENOTFOUND x.test'), { code: 'ENOTFOUND' })
    const err = toDnsError('x.test', os)
    expect(err).toBeInstanceOf(DnsError)
    expect(err.code).toBe('SONIC_DNS_ERROR')
    expect(err.hostname).toBe('x.test')
    expect(err.cause).toBe(os)
    expect(err.message).toContain('ENOTFOUND')
  })
})
