import dgram from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientClosedError, DnsError, InvalidArgumentError } from '@sonic/core'
import { CaresResolver } from '../src/index.js'
import { hasIPv6Loopback, startDnsServer, type TestDnsServer } from './dns-server.js'

let dns: TestDnsServer
beforeAll(async () => {
  dns = await startDnsServer({
    'dual.test': { A: ['127.0.0.1', '127.0.0.2'], AAAA: ['::1'], ttl: 42 },
    'v4only.test': { A: ['10.1.2.3'] },
    'v6only.test': { AAAA: ['2001:db8::7'] },
    'empty.test': {},
    'silent.test': { silent: true },
  })
})
afterAll(() => dns.close())

describe('CaresResolver against a DNS server on loopback', () => {
  it('returns A and AAAA answers with port, family and the record TTL in ms', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    const got = await r.resolve('dual.test', 8443)
    expect(got).toEqual([
      { hostname: 'dual.test', host: '127.0.0.1', port: 8443, family: 4, ttl: 42000 },
      { hostname: 'dual.test', host: '127.0.0.2', port: 8443, family: 4, ttl: 42000 },
      { hostname: 'dual.test', host: '::1', port: 8443, family: 6, ttl: 42000 },
    ])
    expect(dns.count('dual.test', 'A')).toBeGreaterThanOrEqual(1)
    expect(dns.count('dual.test', 'AAAA')).toBeGreaterThanOrEqual(1)
    await r.close()
  })

  it('puts IPv6 first with order: ipv6first', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver], order: 'ipv6first' })
    expect((await r.resolve('dual.test')).map((a) => a.host)).toEqual(['::1', '127.0.0.1', '127.0.0.2'])
    await r.close()
  })

  it('filters by family and asks only for the needed record type', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    const before = dns.count('v4only.test', 'AAAA')
    expect(await r.resolve('v4only.test', 80, 4)).toEqual([{ hostname: 'v4only.test', host: '10.1.2.3', port: 80, family: 4, ttl: 300000 }])
    expect(dns.count('v4only.test', 'AAAA')).toBe(before)
    expect((await r.resolve('v6only.test', 80, 6)).map((a) => a.host)).toEqual(['2001:db8::7'])
    // A name with only A records, asked for IPv6: an empty answer is a DnsError.
    const err = await r.resolve('v4only.test', 80, 6).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsError)
    expect((err as DnsError).hostname).toBe('v4only.test')
    expect((err as DnsError).message).toContain('IPv6')
    await r.close()
  })

  it('returns only one family when the other has no records', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    expect((await r.resolve('v6only.test')).map((a) => a.family)).toEqual([6])
    await r.close()
  })

  it('turns NXDOMAIN into DnsError with the c-ares error as cause', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    const err = await r.resolve('nope.test', 443).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsError)
    expect((err as DnsError).code).toBe('SONIC_DNS_ERROR')
    expect((err as DnsError).hostname).toBe('nope.test')
    expect(((err as DnsError).cause as NodeJS.ErrnoException).code).toBe('ENOTFOUND')
    expect(dns.count('nope.test')).toBeGreaterThanOrEqual(1)
    await r.close()
  })

  it('turns an answer without records into DnsError', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    await expect(r.resolve('empty.test')).rejects.toBeInstanceOf(DnsError)
    await r.close()
  })

  it('gives up on a server that never answers within timeout * tries', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver], timeout: 150, tries: 2 })
    const start = performance.now()
    const err = await r.resolve('silent.test').catch((e: unknown) => e)
    const elapsed = performance.now() - start
    expect(err).toBeInstanceOf(DnsError)
    expect(((err as DnsError).cause as NodeJS.ErrnoException).code).toBe('ETIMEOUT')
    expect(dns.count('silent.test', 'A')).toBeGreaterThanOrEqual(1)
    // Bounded: the deadline is 300 ms; allow generous scheduling slack on a busy machine.
    expect(elapsed).toBeGreaterThanOrEqual(140)
    expect(elapsed).toBeLessThan(300 + 1500)
    await r.close()
  })

  it('turns a refused nameserver (no one listening on the port) into DnsError', async () => {
    const sock = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
    const port = sock.address().port
    await new Promise<void>((resolve) => sock.close(resolve))
    const r = new CaresResolver({ nameservers: [`127.0.0.1:${port}`], timeout: 300, tries: 1 })
    const err = await r.resolve('dual.test').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsError)
    expect(['ECONNREFUSED', 'ETIMEOUT']).toContain(((err as DnsError).cause as NodeJS.ErrnoException).code)
    await r.close()
  })

  it('answers IP literals and localhost without a query', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    const before = dns.count('localhost')
    expect(await r.resolve('[::1]', 1)).toEqual([{ hostname: '[::1]', host: '::1', port: 1, family: 6 }])
    expect(await r.resolve('192.0.2.1', 2)).toEqual([{ hostname: '192.0.2.1', host: '192.0.2.1', port: 2, family: 4 }])
    expect((await r.resolve('localhost', 3)).map((a) => a.host)).toEqual(['127.0.0.1', '::1'])
    expect((await r.resolve('localhost', 3, 4)).map((a) => a.host)).toEqual(['127.0.0.1'])
    expect(dns.count('localhost')).toBe(before)
    await r.close()
  })

  it('close() cancels pending lookups and refuses later ones', async () => {
    const r = new CaresResolver({ nameservers: [dns.nameserver], timeout: 5000, tries: 1 })
    const pending = r.resolve('silent.test').catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const start = performance.now()
    await r.close()
    const err = await pending
    expect(err).toBeInstanceOf(ClientClosedError)
    expect(performance.now() - start).toBeLessThan(1000)
    await expect(r.resolve('dual.test')).rejects.toBeInstanceOf(ClientClosedError)
  })

  it('validates its options and arguments', async () => {
    expect(() => new CaresResolver({ nameservers: ['dns.example'] })).toThrow(InvalidArgumentError)
    expect(() => new CaresResolver({ timeout: 0 })).toThrow(InvalidArgumentError)
    expect(() => new CaresResolver({ tries: 1.5 })).toThrow(InvalidArgumentError)
    expect(() => new CaresResolver({ order: 'random' as never })).toThrow(InvalidArgumentError)
    const r = new CaresResolver({ nameservers: [dns.nameserver] })
    await expect(r.resolve('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(r.resolve('dual.test', 70000)).rejects.toBeInstanceOf(InvalidArgumentError)
    await r.close()
  })

  it('talks to a nameserver given as [::1]:port (or 127.0.0.1 when the machine has no ::1)', async () => {
    const v6 = await hasIPv6Loopback()
    const server = await startDnsServer({ 'six.test': { A: ['192.0.2.6'] } }, v6 ? '::1' : '127.0.0.1')
    try {
      expect(server.nameserver).toBe(v6 ? `[::1]:${server.port}` : `127.0.0.1:${server.port}`)
      const r = new CaresResolver({ nameservers: [server.nameserver] })
      expect((await r.resolve('six.test', 0, 4)).map((a) => a.host)).toEqual(['192.0.2.6'])
      expect(server.count('six.test', 'A')).toBe(1)
      await r.close()
    } finally {
      await server.close()
    }
  })
})
