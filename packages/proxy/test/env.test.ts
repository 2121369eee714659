// proxyFromEnv with fake environments: which variable wins for which scheme, value forms, NO_PROXY.
import { InvalidArgumentError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { HttpProxy } from '../src/http-proxy.js'
import { proxyFromEnv } from '../src/proxy-from-env.js'
import { SocksProxy } from '../src/socks-proxy.js'

const urlOf = (p: HttpProxy | SocksProxy | null): string | null => (p === null ? null : p.url)

describe('proxyFromEnv', () => {
  it('returns null for everything when no variable is set', () => {
    const resolve = proxyFromEnv({})
    expect(resolve('http://example.com/')).toBeNull()
    expect(resolve('https://example.com/')).toBeNull()
  })

  it('HTTP_PROXY for http: and ws:, HTTPS_PROXY for https: and wss:', () => {
    const resolve = proxyFromEnv({ HTTP_PROXY: 'http://127.0.0.1:3128', HTTPS_PROXY: 'http://127.0.0.1:3129' })
    expect(urlOf(resolve('http://example.com/'))).toBe('http://127.0.0.1:3128')
    expect(urlOf(resolve('ws://example.com/chat'))).toBe('http://127.0.0.1:3128')
    expect(urlOf(resolve('https://example.com/'))).toBe('http://127.0.0.1:3129')
    expect(urlOf(resolve(new URL('wss://example.com/')))).toBe('http://127.0.0.1:3129')
  })

  it('only the variable of the scheme applies', () => {
    const resolve = proxyFromEnv({ https_proxy: 'http://127.0.0.1:3129' })
    expect(resolve('http://example.com/')).toBeNull()
    expect(urlOf(resolve('https://example.com/'))).toBe('http://127.0.0.1:3129')
  })

  it('ALL_PROXY is the fallback for both', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'socks5h://127.0.0.1:1080', HTTPS_PROXY: 'http://127.0.0.1:3129' })
    expect(urlOf(resolve('http://example.com/'))).toBe('socks5h://127.0.0.1:1080')
    expect(urlOf(resolve('https://example.com/'))).toBe('http://127.0.0.1:3129')
    expect(urlOf(proxyFromEnv({ all_proxy: 'socks5://127.0.0.1:1080' })('wss://x.org/'))).toBe('socks5://127.0.0.1:1080')
  })

  it('the lower-case form wins over the upper-case one', () => {
    const resolve = proxyFromEnv({
      http_proxy: 'http://127.0.0.1:1001',
      HTTP_PROXY: 'http://127.0.0.1:1002',
      https_proxy: 'http://127.0.0.1:1003',
      HTTPS_PROXY: 'http://127.0.0.1:1004',
    })
    expect(urlOf(resolve('http://a.com/'))).toBe('http://127.0.0.1:1001')
    expect(urlOf(resolve('https://a.com/'))).toBe('http://127.0.0.1:1003')
    const all = proxyFromEnv({ all_proxy: 'http://127.0.0.1:1005', ALL_PROXY: 'http://127.0.0.1:1006' })
    expect(urlOf(all('http://a.com/'))).toBe('http://127.0.0.1:1005')
  })

  it('empty values count as unset', () => {
    const resolve = proxyFromEnv({ http_proxy: '', HTTP_PROXY: 'http://127.0.0.1:1002', https_proxy: '  ', ALL_PROXY: 'http://127.0.0.1:1006' })
    expect(urlOf(resolve('http://a.com/'))).toBe('http://127.0.0.1:1002')
    expect(urlOf(resolve('https://a.com/'))).toBe('http://127.0.0.1:1006')
  })

  it('ignores upper-case HTTP_PROXY in a CGI environment (REQUEST_METHOD set: httpoxy)', () => {
    const resolve = proxyFromEnv({ REQUEST_METHOD: 'GET', HTTP_PROXY: 'http://evil.example:3128', HTTPS_PROXY: 'http://127.0.0.1:3129' })
    expect(resolve('http://a.com/')).toBeNull()
    expect(urlOf(resolve('https://a.com/'))).toBe('http://127.0.0.1:3129')
    expect(urlOf(proxyFromEnv({ REQUEST_METHOD: 'GET', http_proxy: 'http://127.0.0.1:1' })('http://a.com/'))).toBe('http://127.0.0.1:1')
  })

  it('accepts every proxy URL form, and a bare host:port as http://', () => {
    const cases: [string, string, typeof HttpProxy | typeof SocksProxy][] = [
      ['http://127.0.0.1:3128', 'http://127.0.0.1:3128', HttpProxy],
      ['https://proxy.test:8443/', 'https://proxy.test:8443', HttpProxy],
      ['127.0.0.1:3128', 'http://127.0.0.1:3128', HttpProxy],
      ['proxy.test:3128', 'http://proxy.test:3128', HttpProxy],
      ['socks5://127.0.0.1:1080', 'socks5://127.0.0.1:1080', SocksProxy],
      ['socks5h://127.0.0.1', 'socks5h://127.0.0.1:1080', SocksProxy],
      ['socks4://127.0.0.1:1081', 'socks4://127.0.0.1:1081', SocksProxy],
      ['SOCKS4A://127.0.0.1:1082', 'socks4a://127.0.0.1:1082', SocksProxy],
    ]
    for (const [value, url, kind] of cases) {
      const p = proxyFromEnv({ ALL_PROXY: value })('http://a.com/')
      expect(p).toBeInstanceOf(kind)
      expect(p!.url).toBe(url)
    }
  })

  it('keeps credentials of the proxy URL (out of url, in key)', () => {
    const p = proxyFromEnv({ ALL_PROXY: 'socks5://us%40er:p%3Ass@127.0.0.1:1080' })('http://a.com/')
    const plain = proxyFromEnv({ ALL_PROXY: 'socks5://127.0.0.1:1080' })('http://a.com/')
    expect(p!.url).toBe('socks5://127.0.0.1:1080')
    expect(p!.key).not.toBe(plain!.key)
    expect(p!.key).not.toContain('p:ss')
  })

  it('makes the proxies once: every request gets the same object', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128' })
    expect(resolve('http://a.com/')).toBe(resolve('https://b.org/'))
  })

  it('reads the environment when called, not per request', () => {
    const env: Record<string, string> = { HTTP_PROXY: 'http://127.0.0.1:3128' }
    const resolve = proxyFromEnv(env)
    env.HTTP_PROXY = 'http://127.0.0.1:9999'
    env.NO_PROXY = '*'
    expect(urlOf(resolve('http://a.com/'))).toBe('http://127.0.0.1:3128')
  })

  it('NO_PROXY / no_proxy send matching hosts direct (lower case wins)', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128', NO_PROXY: 'localhost,.internal,10.0.0.0/8,[::1]:8080,b.org:8443' })
    expect(resolve('http://localhost:3000/')).toBeNull()
    expect(resolve('https://api.internal/')).toBeNull()
    expect(resolve('http://10.2.3.4/')).toBeNull()
    expect(resolve('http://[::1]:8080/')).toBeNull()
    expect(resolve('http://[::1]/')).not.toBeNull()
    expect(resolve('https://b.org:8443/')).toBeNull()
    expect(resolve('https://b.org/')).not.toBeNull()
    expect(resolve('http://example.com/')).not.toBeNull()
    const lower = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128', no_proxy: 'a.com', NO_PROXY: 'b.com' })
    expect(lower('http://a.com/')).toBeNull()
    expect(lower('http://b.com/')).not.toBeNull()
  })

  it('NO_PROXY matches the effective port: 80 for http and ws, 443 for https and wss', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128', NO_PROXY: 'a.com:443,b.com:80' })
    expect(resolve('https://a.com/')).toBeNull()
    expect(resolve('wss://a.com/')).toBeNull()
    expect(resolve('http://a.com/')).not.toBeNull()
    expect(resolve('http://b.com/')).toBeNull()
    expect(resolve('ws://b.com/')).toBeNull()
    expect(resolve('http://b.com:8080/')).not.toBeNull()
  })

  it('NO_PROXY=* turns every proxy off', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128', no_proxy: '*' })
    expect(resolve('http://a.com/')).toBeNull()
    expect(resolve('https://a.com/')).toBeNull()
  })

  it('gives null for schemes it has no variable for', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128' })
    expect(resolve('ftp://a.com/')).toBeNull()
    expect(resolve('file:///etc/hosts')).toBeNull()
  })

  it('throws InvalidArgumentError naming the variable for unusable values', () => {
    expect(() => proxyFromEnv({ HTTPS_PROXY: 'ftp://127.0.0.1:21' })).toThrow(/HTTPS_PROXY.*unsupported proxy scheme "ftp:"/)
    expect(() => proxyFromEnv({ http_proxy: 'http://' })).toThrow(InvalidArgumentError)
    expect(() => proxyFromEnv({ all_proxy: 'socks5://:1080' })).toThrow(/all_proxy/)
    expect(() => proxyFromEnv({ ALL_PROXY: 'http://a b' })).toThrow(InvalidArgumentError)
  })

  it('rejects bad request URLs with InvalidArgumentError', () => {
    const resolve = proxyFromEnv({ ALL_PROXY: 'http://127.0.0.1:3128' })
    expect(() => resolve('not a url')).toThrow(InvalidArgumentError)
  })

  it('reads process.env by default', () => {
    // Whatever the environment of the test run holds, it is a working resolver.
    const resolve = proxyFromEnv()
    expect(typeof resolve).toBe('function')
  })
})
