import { describe, expect, it } from 'vitest'
import { ClientClosedError, DnsError, InvalidArgumentError } from '@sonic/core'
import { SystemResolver } from '../src/index.js'

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/

describe('SystemResolver', () => {
  it('resolves localhost through the OS to loopback addresses', async () => {
    const r = new SystemResolver()
    const all = await r.resolve('localhost', 8080)
    expect(all.length).toBeGreaterThanOrEqual(1)
    for (const a of all) {
      expect(a.host).toMatch(LOOPBACK)
      expect(a.port).toBe(8080)
      expect(a.hostname).toBe('localhost')
      expect(a.family).toBe(a.host.includes(':') ? 6 : 4)
    }
    const v4 = await r.resolve('localhost', 8080, 4)
    expect(v4.every((a) => a.family === 4)).toBe(true)
    expect(v4.map((a) => a.host)).toContain('127.0.0.1')
    await r.close()
  })

  it('answers IPv4 and IPv6 literals (bracketed or not) without asking the OS', async () => {
    const r = new SystemResolver()
    expect(await r.resolve('127.0.0.1', 1)).toEqual([{ hostname: '127.0.0.1', host: '127.0.0.1', port: 1, family: 4 }])
    expect(await r.resolve('::1', 2)).toEqual([{ hostname: '::1', host: '::1', port: 2, family: 6 }])
    expect(await r.resolve('[fe80::1]', 3)).toEqual([{ hostname: '[fe80::1]', host: 'fe80::1', port: 3, family: 6 }])
    await expect(r.resolve('::1', 0, 4)).rejects.toBeInstanceOf(DnsError)
    await r.close()
  })

  it('turns an unknown name into DnsError with the OS error as cause', async () => {
    const r = new SystemResolver()
    // .invalid is reserved (RFC 6761): it never resolves.
    const err = await r.resolve('sonic-no-such-host.invalid').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsError)
    expect((err as DnsError).hostname).toBe('sonic-no-such-host.invalid')
    expect(((err as DnsError).cause as NodeJS.ErrnoException).code).toMatch(/^(ENOTFOUND|EAI_AGAIN|EAI_FAIL)$/)
    await r.close()
  })

  it('orders families on request', async () => {
    const r = new SystemResolver({ order: 'ipv6first' })
    const all = await r.resolve('localhost')
    const firstV4 = all.findIndex((a) => a.family === 4)
    const lastV6 = all.map((a) => a.family).lastIndexOf(6)
    expect(lastV6 === -1 || firstV4 === -1 || lastV6 < firstV4).toBe(true)
    await r.close()
    expect(() => new SystemResolver({ order: 'x' as never })).toThrow(InvalidArgumentError)
  })

  it('rejects bad input and calls after close()', async () => {
    const r = new SystemResolver()
    await expect(r.resolve('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(r.resolve('localhost', 0, 5 as never)).rejects.toBeInstanceOf(InvalidArgumentError)
    await r.close()
    await expect(r.resolve('localhost')).rejects.toBeInstanceOf(ClientClosedError)
  })
})
