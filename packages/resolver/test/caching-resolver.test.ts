import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DnsError, InvalidArgumentError } from '@sonic/core'
import { CachingResolver, CaresResolver } from '../src/index.js'
import { startDnsServer, type TestDnsServer } from './dns-server.js'

let dns: TestDnsServer
beforeAll(async () => {
  dns = await startDnsServer({})
})
afterAll(() => dns.close())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Each test uses its own names, so query counts on the shared server do not mix. */
function caching(options?: ConstructorParameters<typeof CachingResolver>[1]) {
  return new CachingResolver(new CaresResolver({ nameservers: [dns.nameserver], timeout: 500, tries: 1 }), options)
}

describe('CachingResolver over CaresResolver', () => {
  it('serves a second lookup from the cache without asking the server', async () => {
    dns.zone.set('cached.test', { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] })
    const r = caching()
    const first = await r.resolve('cached.test', 80)
    expect(dns.count('cached.test')).toBe(2) // one A + one AAAA
    // The server now answers differently; the cache still holds the first answer.
    dns.zone.set('cached.test', { A: ['192.0.2.99'] })
    const second = await r.resolve('cached.test', 443)
    expect(dns.count('cached.test')).toBe(2)
    expect(second.map((a) => a.host)).toEqual(first.map((a) => a.host))
    expect(second.every((a) => a.port === 443)).toBe(true)
    // Another spelling of the same name hits the same entry and keeps the caller's spelling.
    const upper = await r.resolve('CACHED.test.', 1)
    expect(upper[0]?.hostname).toBe('CACHED.test.')
    expect(dns.count('cached.test')).toBe(2)
    expect(r.cachedHosts).toEqual(['cached.test'])
    await r.close()
  })

  it('expires entries after the ttl option', async () => {
    dns.zone.set('expire.test', { A: ['192.0.2.2'], ttl: 300 })
    const r = caching({ ttl: 100 })
    await r.resolve('expire.test', 0, 4)
    await r.resolve('expire.test', 0, 4)
    expect(dns.count('expire.test', 'A')).toBe(1)
    await sleep(150)
    expect(r.cachedHosts).toEqual([])
    await r.resolve('expire.test', 0, 4)
    expect(dns.count('expire.test', 'A')).toBe(2)
    await r.close()
  })

  it('uses the record TTL when it is shorter than the ttl option', async () => {
    dns.zone.set('short.test', { A: ['192.0.2.3'], ttl: 1 })
    dns.zone.set('zero.test', { A: ['192.0.2.4'], ttl: 0 })
    const r = caching({ ttl: 60000 })
    // TTL 0: nothing is kept.
    await r.resolve('zero.test', 0, 4)
    await r.resolve('zero.test', 0, 4)
    expect(dns.count('zero.test', 'A')).toBe(2)
    // TTL 1 s: kept for one second, not for the minute of the ttl option.
    await r.resolve('short.test', 0, 4)
    await r.resolve('short.test', 0, 4)
    expect(dns.count('short.test', 'A')).toBe(1)
    expect(r.cachedHosts).toEqual(['short.test'])
    await sleep(1100)
    await r.resolve('short.test', 0, 4)
    expect(dns.count('short.test', 'A')).toBe(2)
    await r.close()
  })

  it('clear(host) forgets one name; clear() forgets all', async () => {
    dns.zone.set('one.test', { A: ['192.0.2.5'] })
    dns.zone.set('two.test', { A: ['192.0.2.6'] })
    const r = caching()
    await r.resolve('one.test', 0, 4)
    await r.resolve('two.test', 0, 4)
    await r.resolve('two.test', 0, 0)
    expect(r.cachedHosts.sort()).toEqual(['one.test', 'two.test'])
    r.clear('TWO.test')
    expect(r.cachedHosts).toEqual(['one.test'])
    await r.resolve('two.test', 0, 4)
    expect(dns.count('two.test', 'A')).toBe(3)
    await r.resolve('one.test', 0, 4)
    expect(dns.count('one.test', 'A')).toBe(1)
    r.clear()
    expect(r.cachedHosts).toEqual([])
    await r.resolve('one.test', 0, 4)
    expect(dns.count('one.test', 'A')).toBe(2)
    await r.close()
  })

  it('shares one query between concurrent lookups of the same name', async () => {
    dns.zone.set('slow.test', { A: ['192.0.2.7'], delay: 100 })
    const r = caching()
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => r.resolve('slow.test', 1000 + i, 4)))
    expect(dns.count('slow.test', 'A')).toBe(1)
    all.forEach((answer, i) => expect(answer).toEqual([{ hostname: 'slow.test', host: '192.0.2.7', port: 1000 + i, family: 4, ttl: 300000 }]))
    await r.close()
  })

  it('does not keep the answer of a query that clear() detached', async () => {
    dns.zone.set('detach.test', { A: ['192.0.2.8'], delay: 50 })
    const r = caching()
    const pending = r.resolve('detach.test', 0, 4)
    r.clear('detach.test')
    expect((await pending).map((a) => a.host)).toEqual(['192.0.2.8'])
    expect(r.cachedHosts).toEqual([])
    await r.close()
  })

  it('does not cache failures', async () => {
    const r = caching()
    await expect(r.resolve('missing.test', 0, 4)).rejects.toBeInstanceOf(DnsError)
    await expect(r.resolve('missing.test', 0, 4)).rejects.toBeInstanceOf(DnsError)
    expect(dns.count('missing.test', 'A')).toBe(2)
    // Once the name exists, it resolves right away.
    dns.zone.set('missing.test', { A: ['192.0.2.9'] })
    expect((await r.resolve('missing.test', 0, 4)).map((a) => a.host)).toEqual(['192.0.2.9'])
    await r.close()
  })

  it('passes everything through when disabled, and never caches IP literals', async () => {
    dns.zone.set('off.test', { A: ['192.0.2.10'] })
    const r = caching({ enabled: false })
    await r.resolve('off.test', 0, 4)
    await r.resolve('off.test', 0, 4)
    expect(dns.count('off.test', 'A')).toBe(2)
    expect(r.cachedHosts).toEqual([])
    await r.close()
    const on = caching()
    expect(await on.resolve('[::1]', 5)).toEqual([{ hostname: '[::1]', host: '::1', port: 5, family: 6 }])
    expect(on.cachedHosts).toEqual([])
    await on.close()
  })

  it('validates its arguments', async () => {
    const inner = new CaresResolver({ nameservers: [dns.nameserver] })
    expect(() => new CachingResolver(inner, { ttl: -1 })).toThrow(InvalidArgumentError)
    expect(() => new CachingResolver(null as never)).toThrow(InvalidArgumentError)
    const r = new CachingResolver(inner)
    await expect(r.resolve('')).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(r.inner).toBe(inner)
    await r.close()
  })
})
