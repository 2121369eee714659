// TcpTransport over plain TCP: what it hands out, DNS through its resolver and cache, Happy
// Eyeballs, family and localAddress, closing — against real servers on 127.0.0.1.
import type * as net from 'node:net'
import { ClientClosedError, ConnectError, InvalidArgumentError } from '@sonic/core'
import { CachingResolver } from '@sonic/resolver'
import { describe, expect, test } from 'vitest'
import { TcpTransport, type Connected } from '../src/index.js'
import { fixedResolver, freePort, listenerCounts, readString, startRaw, until, useCleanups } from './helpers.js'

const cleanups = useCleanups()

async function echoHost() {
  const srv = await startRaw((socket) => socket.end(`${socket.remoteAddress}`))
  cleanups.push(() => srv.close())
  return srv
}

function track(c: Connected): Connected {
  cleanups.push(() => c.socket.destroy())
  return c
}

describe('plain TCP', () => {
  test('connects to an IP: a net.Socket, alpn null, not proxied, none of our listeners left', async () => {
    const srv = await echoHost()
    const transport = new TcpTransport()
    cleanups.push(() => transport.close())
    const c = track(await transport.connect({ protocol: 'http:', hostname: '127.0.0.1', port: srv.port }))
    expect(c.alpn).toBeNull()
    expect(c.proxied).toBe(false)
    expect(listenerCounts(c.socket)).toEqual({ error: 0, close: 0, connect: 0, secureConnect: 0, timeout: 0, session: 0 })
    expect(await readString(c.socket, 9)).toBe('127.0.0.1')
    expect(transport.cachedHosts).toEqual([]) // an IP literal needs no lookup
  })

  test('localhost through the default SystemResolver, cached for ttlDnsCache; clearDnsCache forgets it', async () => {
    const srv = await echoHost()
    const transport = new TcpTransport()
    cleanups.push(() => transport.close())
    expect(transport.resolver).toBeInstanceOf(CachingResolver)
    track(await transport.connect({ protocol: 'http:', hostname: 'localhost', port: srv.port }))
    expect(transport.cachedHosts).toEqual(['localhost'])
    transport.clearDnsCache('localhost')
    expect(transport.cachedHosts).toEqual([])
    track(await transport.connect({ protocol: 'http:', hostname: 'LOCALHOST', port: srv.port }))
    transport.clearDnsCache()
    expect(transport.cachedHosts).toEqual([])
  })

  test('a custom resolver answers for names; its answers are cached unless useDnsCache is false', async () => {
    const srv = await echoHost()
    const resolver = fixedResolver({ 'api.test': ['127.0.0.1'] })
    const cached = new TcpTransport({ resolver })
    cleanups.push(() => cached.close())
    for (let i = 0; i < 3; i++) track(await cached.connect({ protocol: 'http:', hostname: 'api.test', port: srv.port }))
    expect(resolver.asked).toEqual(['api.test'])
    expect(cached.cachedHosts).toEqual(['api.test'])

    const direct = fixedResolver({ 'api.test': ['127.0.0.1'] })
    const uncached = new TcpTransport({ resolver: direct, useDnsCache: false })
    cleanups.push(() => uncached.close())
    expect(uncached.resolver).toBe(direct)
    for (let i = 0; i < 3; i++) track(await uncached.connect({ protocol: 'http:', hostname: 'api.test', port: srv.port }))
    expect(direct.asked).toEqual(['api.test', 'api.test', 'api.test'])
    expect(uncached.cachedHosts).toEqual([])
  })

  test('ttlDnsCache: 0 keeps no answer', async () => {
    const srv = await echoHost()
    const resolver = fixedResolver({ 'api.test': ['127.0.0.1'] })
    const transport = new TcpTransport({ resolver, ttlDnsCache: 0 })
    cleanups.push(() => transport.close())
    track(await transport.connect({ protocol: 'http:', hostname: 'api.test', port: srv.port }))
    track(await transport.connect({ protocol: 'http:', hostname: 'api.test', port: srv.port }))
    expect(resolver.asked.length).toBe(2)
  })

  test('Happy Eyeballs: an address that refuses is followed by the next one', async () => {
    const srv = await echoHost()
    // Nothing listens on [::1]:port (the server is on 127.0.0.1 only).
    const transport = new TcpTransport({ resolver: fixedResolver({ 'dual.test': ['::1', '127.0.0.1'] }) })
    cleanups.push(() => transport.close())
    const c = track(await transport.connect({ protocol: 'http:', hostname: 'dual.test', port: srv.port }))
    expect((c.socket as net.Socket).remoteAddress).toBe('127.0.0.1')
  })

  test('family: 4 asks for IPv4 addresses only', async () => {
    const srv = await echoHost()
    const resolver = fixedResolver({ 'dual.test': ['::1', '127.0.0.1'] })
    const transport = new TcpTransport({ resolver, family: 4, useDnsCache: false })
    cleanups.push(() => transport.close())
    const c = track(await transport.connect({ protocol: 'http:', hostname: 'dual.test', port: srv.port }))
    expect((c.socket as net.Socket).remoteFamily).toBe('IPv4')
  })

  test('localAddress binds the outgoing socket', async () => {
    const srv = await echoHost()
    const transport = new TcpTransport({ localAddress: '127.0.0.1' })
    cleanups.push(() => transport.close())
    const c = track(await transport.connect({ protocol: 'http:', hostname: '127.0.0.1', port: srv.port }))
    expect((c.socket as net.Socket).localAddress).toBe('127.0.0.1')
    await until(() => srv.sockets.length === 1)
    expect(srv.sockets[0]!.remoteAddress).toBe('127.0.0.1')
  })

  test('IPv6 literals with or without brackets; messages put them in brackets', async () => {
    const port = await freePort()
    const transport = new TcpTransport()
    cleanups.push(() => transport.close())
    for (const hostname of ['::1', '[::1]']) {
      const err = await transport.connect({ protocol: 'http:', hostname, port }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConnectError)
      expect((err as Error).message).toContain(`[::1]:${port}`)
      expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    }
  })

  test('close() closes the resolver; later connects → ClientClosedError', async () => {
    const resolver = fixedResolver({})
    const transport = new TcpTransport({ resolver })
    await transport.close()
    expect(resolver.closed).toBe(true)
    await expect(transport.connect({ protocol: 'http:', hostname: '127.0.0.1', port: 1 })).rejects.toBeInstanceOf(ClientClosedError)
    await transport.close() // twice is fine
  })

  test('bad constructor options → InvalidArgumentError', () => {
    expect(() => new TcpTransport({ family: 5 as 4 })).toThrow(InvalidArgumentError)
    expect(() => new TcpTransport({ localAddress: 'nowhere' })).toThrow(InvalidArgumentError)
    expect(() => new TcpTransport({ ttlDnsCache: -1 })).toThrow(InvalidArgumentError)
    expect(() => new TcpTransport({ resolver: {} as never })).toThrow(InvalidArgumentError)
  })
})
