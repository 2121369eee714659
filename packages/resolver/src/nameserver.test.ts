import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { parseNameserver } from './nameserver.js'

describe('parseNameserver', () => {
  it('accepts ip, ip:port, [v6]:port and a bare IPv6 address', () => {
    expect(parseNameserver('1.1.1.1')).toBe('1.1.1.1')
    expect(parseNameserver('127.0.0.1:5353')).toBe('127.0.0.1:5353')
    expect(parseNameserver('[::1]:5353')).toBe('[::1]:5353')
    expect(parseNameserver('[::1]')).toBe('::1')
    expect(parseNameserver('2001:db8::53')).toBe('2001:db8::53')
  })

  it('rejects anything else with InvalidArgumentError', () => {
    for (const bad of ['', 'dns.google', '1.1.1.1:0', '1.1.1.1:65536', '1.1.1.1:x', '[::1]:', '[::1]x', '[1.1.1.1]:53', 'a:53', 42]) {
      expect(() => parseNameserver(bad), String(bad)).toThrow(InvalidArgumentError)
    }
  })
})
