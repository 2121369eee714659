import { describe, expect, it } from 'vitest'
import { NoProxy } from './no-proxy.js'

const m = (value: string, host: string, port = 80): boolean => new NoProxy(value).matches(host, port)

describe('NoProxy', () => {
  it('matches nothing when empty, unset or only separators', () => {
    for (const v of ['', undefined, null, ' , ,,  ', '\t\n']) {
      const np = new NoProxy(v)
      expect(np.empty).toBe(true)
      expect(np.all).toBe(false)
      expect(np.matches('example.com', 80)).toBe(false)
      expect(np.matches('127.0.0.1', 80)).toBe(false)
    }
  })

  it('* matches every host, also among other entries', () => {
    expect(new NoProxy('*').all).toBe(true)
    expect(m('*', 'example.com')).toBe(true)
    expect(m('*', '::1')).toBe(true)
    expect(m('a.com, *', 'b.org')).toBe(true)
    // '*' inside a name is not a wildcard
    expect(m('a*.com', 'ab.com')).toBe(false)
  })

  it('a bare domain matches itself and its subdomains, not names that merely end alike', () => {
    expect(m('example.com', 'example.com')).toBe(true)
    expect(m('example.com', 'www.example.com')).toBe(true)
    expect(m('example.com', 'a.b.example.com')).toBe(true)
    expect(m('example.com', 'badexample.com')).toBe(false)
    expect(m('example.com', 'example.com.evil.org')).toBe(false)
    expect(m('example.com', 'com')).toBe(false)
  })

  it('.domain and *.domain match the domain and its subdomains (curl)', () => {
    for (const v of ['.example.com', '*.example.com']) {
      expect(m(v, 'example.com')).toBe(true)
      expect(m(v, 'api.example.com')).toBe(true)
      expect(m(v, 'notexample.com')).toBe(false)
    }
  })

  it('compares names case-insensitively and ignores trailing dots on either side', () => {
    expect(m('Example.COM', 'www.example.com')).toBe(true)
    expect(m('example.com', 'WWW.EXAMPLE.COM')).toBe(true)
    expect(m('example.com.', 'www.example.com')).toBe(true)
    expect(m('example.com', 'www.example.com.')).toBe(true)
    expect(m('localhost', 'LOCALHOST.')).toBe(true)
  })

  it('splits on commas and white space, skipping empty entries', () => {
    const np = new NoProxy(' a.com,,b.org \t c.net\n, ,d.io ')
    for (const h of ['a.com', 'x.b.org', 'c.net', 'd.io']) expect(np.matches(h, 80)).toBe(true)
    expect(np.matches('e.com', 80)).toBe(false)
  })

  it('host:port matches that port only', () => {
    expect(m('example.com:8080', 'example.com', 8080)).toBe(true)
    expect(m('example.com:8080', 'api.example.com', 8080)).toBe(true)
    expect(m('example.com:8080', 'example.com', 80)).toBe(false)
    expect(m('example.com:443', 'example.com', 443)).toBe(true)
    expect(m('.example.com:443', 'a.example.com', 443)).toBe(true)
  })

  it('ignores entries with a bad port', () => {
    for (const v of ['example.com:', 'example.com:0', 'example.com:65536', 'example.com:http', 'example.com:-1', 'a:b:c']) {
      expect(new NoProxy(v).empty).toBe(true)
    }
    expect(m('bad:port, good.com', 'good.com')).toBe(true)
  })

  it('never resolves names: a name entry does not match an IP-literal host, nor an IP entry a name', () => {
    expect(m('localhost', '127.0.0.1')).toBe(false)
    expect(m('127.0.0.1', 'localhost')).toBe(false)
    // A suffix that looks like the tail of an address is still a name.
    expect(m('0.0.1', '10.0.0.1')).toBe(false)
  })

  it('IPv4 literals match exactly, with an optional port', () => {
    expect(m('10.1.2.3', '10.1.2.3')).toBe(true)
    expect(m('10.1.2.3', '10.1.2.4')).toBe(false)
    expect(m('10.1.2.3:8080', '10.1.2.3', 8080)).toBe(true)
    expect(m('10.1.2.3:8080', '10.1.2.3', 80)).toBe(false)
  })

  it('IPv4 CIDR ranges', () => {
    const np = new NoProxy('10.0.0.0/8, 192.168.1.0/24, 172.16.5.4/32')
    expect(np.matches('10.255.0.1', 80)).toBe(true)
    expect(np.matches('11.0.0.1', 80)).toBe(false)
    expect(np.matches('192.168.1.200', 443)).toBe(true)
    expect(np.matches('192.168.2.1', 443)).toBe(false)
    expect(np.matches('172.16.5.4', 80)).toBe(true)
    expect(np.matches('172.16.5.5', 80)).toBe(false)
    // host bits set in the entry are masked off; /0 is everything
    expect(m('10.9.9.9/8', '10.0.0.1')).toBe(true)
    expect(m('0.0.0.0/0', '203.0.113.9')).toBe(true)
    expect(m('0.0.0.0/0', '::1')).toBe(false)
  })

  it('IPv6 literals: bare, bracketed, with a port, any spelling of the same address', () => {
    expect(m('::1', '::1')).toBe(true)
    expect(m('::1', '[::1]')).toBe(true)
    expect(m('::1', '0:0:0:0:0:0:0:1')).toBe(true)
    expect(m('[::1]', '::1')).toBe(true)
    expect(m('[::1]:8080', '[::1]', 8080)).toBe(true)
    expect(m('[::1]:8080', '::1', 80)).toBe(false)
    expect(m('::1', '::2')).toBe(false)
    expect(m('2001:db8::1', '2001:DB8:0::1')).toBe(true)
  })

  it('IPv6 CIDR ranges', () => {
    const np = new NoProxy('fe80::/10, 2001:db8::/32')
    expect(np.matches('fe80::1', 80)).toBe(true)
    expect(np.matches('[febf:ffff::1]', 80)).toBe(true)
    expect(np.matches('fec0::1', 80)).toBe(false)
    expect(np.matches('2001:db8:abcd::1', 80)).toBe(true)
    expect(np.matches('2001:db9::1', 80)).toBe(false)
    expect(np.matches('10.0.0.1', 80)).toBe(false)
  })

  it('an IPv4-mapped IPv6 host matches IPv4 entries', () => {
    expect(m('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true)
    expect(m('127.0.0.1', '[::ffff:127.0.0.1]')).toBe(true)
  })

  it('ignores malformed IP and CIDR entries', () => {
    for (const v of ['10.0.0.0/33', '::/129', '10.0.0.0/', 'foo/8', '10.0.0.0/8x', '[::1', '[::1]x', '[nothost]', '[::1]:0']) {
      expect(new NoProxy(v).empty).toBe(true)
    }
  })

  it('an IPv6 entry without brackets is an address, never host:port', () => {
    expect(m('::1:8080', '::1', 8080)).toBe(false)
    expect(m('::1:8080', '::1:8080', 80)).toBe(true)
  })
})
