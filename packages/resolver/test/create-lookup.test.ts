import net from 'node:net'
import type { LookupAddress } from 'node:dns'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DnsError } from '@sonic/core'
import { CaresResolver, createLookup } from '../src/index.js'
import { hasIPv6Loopback, startDnsServer, type TestDnsServer } from './dns-server.js'

let dns: TestDnsServer
let v6 = false
beforeAll(async () => {
  v6 = await hasIPv6Loopback()
  dns = await startDnsServer({
    'dual.test': { A: ['127.0.0.1'], AAAA: ['::1'] },
    'v4.test': { A: ['127.0.0.1'] },
  })
})
afterAll(() => dns.close())

function listen(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end('hi'))
    server.once('error', reject)
    server.listen({ port: 0, host, ipv6Only: host.includes(':') }, () => resolve(server))
  })
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

interface Outcome {
  remoteAddress?: string
  attempted: string[]
  error?: NodeJS.ErrnoException
}

/** Connects, reads the greeting, closes; resolves with where it connected or the error. */
function dial(options: net.NetConnectOpts): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(options)
    const attempted = () => (socket as unknown as { autoSelectFamilyAttemptedAddresses?: string[] }).autoSelectFamilyAttemptedAddresses ?? []
    socket.once('connect', () => {
      const remoteAddress = socket.remoteAddress
      socket.once('close', () => resolve({ remoteAddress, attempted: attempted() }))
      socket.resume()
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy()
      resolve({ error, attempted: attempted() })
    })
  })
}

function lookupAsync(lookup: net.LookupFunction, host: string, options: object) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) =>
    lookup(host, options, (err, address, family) => resolve({ err, address, family })),
  )
}

describe('createLookup', () => {
  it('implements node lookup: first address, all addresses, family filter, errors', async () => {
    const resolver = new CaresResolver({ nameservers: [dns.nameserver] })
    const lookup = createLookup(resolver)
    expect(await lookupAsync(lookup, 'dual.test', {})).toEqual({ err: null, address: '127.0.0.1', family: 4 })
    expect(await lookupAsync(lookup, 'dual.test', { family: 6 })).toEqual({ err: null, address: '::1', family: 6 })
    expect(await lookupAsync(lookup, 'dual.test', { family: 'IPv6' })).toEqual({ err: null, address: '::1', family: 6 })
    expect((await lookupAsync(lookup, 'dual.test', { all: true })).address).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ])
    const failed = await lookupAsync(lookup, 'nope.test', { all: true })
    expect(failed.err).toBeInstanceOf(DnsError)
    expect(failed.address).toEqual([])
    await resolver.close()
  })

  it('lets net.connect race both families: IPv6 listed first, server only on 127.0.0.1', async () => {
    const server = await listen('127.0.0.1')
    const { port } = server.address() as net.AddressInfo
    const resolver = new CaresResolver({ nameservers: [dns.nameserver], order: 'ipv6first' })
    const lookup = createLookup(resolver)
    try {
      const ok = await dial({ host: 'dual.test', port, lookup, autoSelectFamily: true })
      expect(ok.error).toBeUndefined()
      expect(ok.remoteAddress).toBe('127.0.0.1')
      // Both families were tried, IPv6 first (refused or unreachable), then IPv4.
      expect(ok.attempted).toEqual([`::1:${port}`, `127.0.0.1:${port}`])
      // Control: without Happy Eyeballs, only the first address is tried and the connection fails.
      const single = await dial({ host: 'dual.test', port, lookup, autoSelectFamily: false })
      expect(single.error).toBeDefined()
      expect(single.remoteAddress).toBeUndefined()
    } finally {
      await resolver.close()
      await close(server)
    }
  })

  it('connects over IPv6 when only ::1 listens (IPv4-only path when the machine has no ::1)', async () => {
    const resolver = new CaresResolver({ nameservers: [dns.nameserver], order: 'ipv4first' })
    const lookup = createLookup(resolver)
    if (v6) {
      const server = await listen('::1')
      const { port } = server.address() as net.AddressInfo
      try {
        const ok = await dial({ host: 'dual.test', port, lookup, autoSelectFamily: true })
        expect(ok.error).toBeUndefined()
        expect(ok.remoteAddress).toBe('::1')
        expect(ok.attempted).toEqual([`127.0.0.1:${port}`, `::1:${port}`])
      } finally {
        await close(server)
      }
    } else {
      const server = await listen('127.0.0.1')
      const { port } = server.address() as net.AddressInfo
      try {
        const ok = await dial({ host: 'v4.test', port, lookup, autoSelectFamily: true })
        expect(ok.error).toBeUndefined()
        expect(ok.remoteAddress).toBe('127.0.0.1')
      } finally {
        await close(server)
      }
    }
    await resolver.close()
  })

  it('reports a DnsError from net.connect when the name does not resolve', async () => {
    const resolver = new CaresResolver({ nameservers: [dns.nameserver] })
    const failed = await dial({ host: 'nope.test', port: 9, lookup: createLookup(resolver), autoSelectFamily: true })
    expect(failed.error).toBeInstanceOf(DnsError)
    expect((failed.error as unknown as DnsError).hostname).toBe('nope.test')
    await resolver.close()
  })
})
