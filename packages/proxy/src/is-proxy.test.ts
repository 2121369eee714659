import { describe, expect, test } from 'vitest'
import { HttpProxy } from './http-proxy.js'
import { isProxy } from './is-proxy.js'
import { SocksProxy } from './socks-proxy.js'

describe('isProxy', () => {
  test('true for HttpProxy and SocksProxy, false for URLs, resolvers and look-alikes', () => {
    expect(isProxy(new HttpProxy('http://127.0.0.1:3128'))).toBe(true)
    expect(isProxy(new HttpProxy('https://127.0.0.1:8443'))).toBe(true)
    expect(isProxy(new SocksProxy('socks5://127.0.0.1:1080'))).toBe(true)
    for (const v of ['http://127.0.0.1:3128', 'env', new URL('http://p:1'), () => null, null, undefined, { key: 'k', tunnel: () => ({}) }]) {
      expect(isProxy(v)).toBe(false)
    }
  })
})
