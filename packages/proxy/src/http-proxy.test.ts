import { InvalidArgumentError } from '@sonic/core'
import { TcpTransport } from '@sonic/transport'
import { describe, expect, test } from 'vitest'
import { HttpProxy } from './http-proxy.js'

const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`

describe('HttpProxy', () => {
  test('an http: URL: url, target and no credentials', () => {
    const p = new HttpProxy('http://127.0.0.1:3128')
    expect(p.url).toBe('http://127.0.0.1:3128')
    expect(p.target).toEqual({ protocol: 'http:', hostname: '127.0.0.1', port: 3128, tls: null, alpn: ['http/1.1'] })
    expect(p.forwardHeaders).toEqual([])
    expect(Object.isFrozen(p.target)).toBe(true)
    expect(Object.isFrozen(p.forwardHeaders)).toBe(true)
  })

  test('default ports, URL objects, paths dropped, IPv6 without brackets in target', () => {
    expect(new HttpProxy('http://proxy.local').target.port).toBe(80)
    const s = new HttpProxy(new URL('https://proxy.local/some/path?q=1'), { tls: { ca: 'x' } })
    expect(s.url).toBe('https://proxy.local')
    expect(s.target).toMatchObject({ protocol: 'https:', hostname: 'proxy.local', port: 443, tls: { ca: 'x' } })
    const v6 = new HttpProxy('http://[::1]:8080')
    expect(v6.url).toBe('http://[::1]:8080')
    expect(v6.target.hostname).toBe('::1')
  })

  test('userinfo is percent-decoded into Basic credentials and left out of url', () => {
    const p = new HttpProxy('http://us%40er:p%3Ass%20w@proxy:3128')
    expect(p.url).toBe('http://proxy:3128')
    expect(p.key.startsWith('http://proxy:3128#')).toBe(true)
    expect(p.key).not.toContain('us')
    expect(p.forwardHeaders).toEqual(['proxy-authorization', basic('us@er:p:ss w')])
    expect(new HttpProxy('http://user@proxy:3128').forwardHeaders).toEqual(['proxy-authorization', basic('user:')])
  })

  test('options.auth wins over the URL, as a string or an object', () => {
    expect(new HttpProxy('http://a:b@proxy:3128', { auth: 'c:d' }).forwardHeaders[1]).toBe(basic('c:d'))
    expect(new HttpProxy('http://a:b@proxy:3128', { auth: { username: 'ü', password: 'p' } }).forwardHeaders[1]).toBe(basic('ü:p'))
    expect(new HttpProxy('http://proxy:3128', { auth: { username: 'u' } }).forwardHeaders[1]).toBe(basic('u:'))
  })

  test('equal proxies have equal keys; credentials and TLS content tell them apart', () => {
    const key = (url: string, o?: ConstructorParameters<typeof HttpProxy>[1]): string => new HttpProxy(url, o).key
    expect(key('http://u:p@proxy:3128')).toBe(key('http://proxy:3128', { auth: 'u:p' }))
    expect(key('http://proxy:3128', { auth: { username: 'u', password: 'p' } })).toBe(key('http://proxy:3128', { auth: 'u:p' }))
    expect(key('http://proxy:3128')).not.toBe(key('http://proxy:3128', { auth: 'u:p' }))
    expect(key('http://proxy:3128', { auth: 'u:p' })).not.toBe(key('http://proxy:3128', { auth: 'u:q' }))
    expect(key('http://proxy:3128')).not.toBe(key('http://proxy:3129'))
    // TLS by content, never by object identity.
    expect(key('https://proxy:8443', { tls: { ca: 'A' } })).toBe(key('https://proxy:8443', { tls: { ca: 'A' } }))
    expect(key('https://proxy:8443', { tls: { ca: 'A' } })).not.toBe(key('https://proxy:8443', { tls: { ca: 'B' } }))
    expect(key('https://proxy:8443', { tls: { verify: false } })).not.toBe(key('https://proxy:8443'))
    expect(key('https://proxy:8443', { tls: { fingerprint: 'ab' } })).not.toBe(key('https://proxy:8443'))
    // An http: proxy ignores tls.
    expect(key('http://proxy:3128', { tls: { ca: 'A' } })).toBe(key('http://proxy:3128'))
  })

  test('bad URLs, schemes and options → InvalidArgumentError', () => {
    for (const url of ['not a url', '', 'proxy:3128', 'socks5://proxy:1080', 'ftp://proxy', 'http://proxy:99999', 'http://%zz:x@proxy']) {
      expect(() => new HttpProxy(url), url).toThrow(InvalidArgumentError)
    }
    expect(() => new HttpProxy(42 as unknown as string)).toThrow(InvalidArgumentError)
    expect(() => new HttpProxy('http://proxy', { auth: 42 as unknown as string })).toThrow(InvalidArgumentError)
    expect(() => new HttpProxy('http://proxy', { auth: { username: 'a:b' } })).toThrow(InvalidArgumentError)
    expect(() => new HttpProxy('http://proxy', null as unknown as object)).toThrow(InvalidArgumentError)
    expect(() => new HttpProxy('http://proxy').tunnel(null as unknown as TcpTransport)).toThrow(InvalidArgumentError)
  })

  test('tunnel() rejects a bad target before dialling', async () => {
    const t = new HttpProxy('http://127.0.0.1:1').tunnel(new TcpTransport())
    await expect(t.connect({ protocol: 'ftp:' as 'http:', hostname: 'a', port: 1 })).rejects.toThrow(InvalidArgumentError)
    await expect(t.connect({ protocol: 'https:', hostname: 'a b', port: 1 })).rejects.toThrow(InvalidArgumentError)
    await expect(t.connect({ protocol: 'https:', hostname: 'a\r\nx: y', port: 1 })).rejects.toThrow(InvalidArgumentError)
    await expect(t.connect({ protocol: 'https:', hostname: 'a', port: 0 })).rejects.toThrow(InvalidArgumentError)
    await expect(t.connect({ protocol: 'https:', hostname: 'a', port: 1, timeoutMs: -1 })).rejects.toThrow(InvalidArgumentError)
  })
})
