// Every way connecting fails, and what it reports: refused, DNS, timeouts, abort, a peer that
// hangs up, bad targets — with nothing (socket, timer, listener) left behind.
import { getEventListeners } from 'node:events'
import * as net from 'node:net'
import { AbortError, ConnectError, ConnectTimeoutError, DnsError, InvalidArgumentError } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { TcpTransport, type TransportTarget } from '../src/index.js'
import { fixedResolver, freePort, sleep, startRaw, timersCreated, until, useCleanups } from './helpers.js'

const cleanups = useCleanups()

function transport(opts: ConstructorParameters<typeof TcpTransport>[0] = {}): TcpTransport {
  const t = new TcpTransport(opts)
  cleanups.push(() => t.close())
  return t
}

async function raw(onSocket: (socket: net.Socket) => void) {
  const srv = await startRaw(onSocket)
  cleanups.push(() => srv.close())
  return srv
}

describe('connect errors', () => {
  test('refused → ConnectError naming host:port, the OS error as cause', async () => {
    const port = await freePort()
    const err = await transport().connect({ protocol: 'http:', hostname: '127.0.0.1', port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as ConnectError).code).toBe('SONIC_CONNECT_ERROR')
    expect((err as Error).message).toContain(`127.0.0.1:${port}`)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  test('refused on every address of a name (Happy Eyeballs) → ConnectError with a readable message', async () => {
    const port = await freePort()
    const t = transport({ resolver: fixedResolver({ 'dual.test': ['::1', '127.0.0.1'] }) })
    const err = await t.connect({ protocol: 'http:', hostname: 'dual.test', port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).message).toMatch(new RegExp(`^Could not connect to dual\\.test:${port}: .*ECONNREFUSED`))
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  test('a DnsError from the resolver is passed on as it is', async () => {
    const dnsError = new DnsError('nowhere.test', 'No address found for nowhere.test')
    const t = transport({ resolver: fixedResolver({}, () => dnsError) })
    for (const protocol of ['http:', 'https:'] as const) {
      const err = await t.connect({ protocol, hostname: 'nowhere.test', port: 443 }).catch((e: unknown) => e)
      expect(err).toBe(dnsError)
    }
  })

  test('a failed getaddrinfo → DnsError with the OS error as cause', async () => {
    const osError = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nowhere.test' })
    const t = transport({ resolver: fixedResolver({}, () => osError), useDnsCache: false })
    const err = await t.connect({ protocol: 'http:', hostname: 'nowhere.test', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsError)
    expect((err as DnsError).hostname).toBe('nowhere.test')
    expect((err as Error).cause).toBe(osError)
  })

  test('a TLS handshake that never completes → ConnectTimeoutError; the client closes its side', async () => {
    const srv = await raw((socket) => socket.resume()) // accepts TCP, never answers the ClientHello
    const started = performance.now()
    const err = await transport().connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, timeoutMs: 150 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectTimeoutError)
    expect((err as ConnectTimeoutError).timeout).toBe(150)
    expect((err as Error).message).toContain(`127.0.0.1:${srv.port}`)
    expect(performance.now() - started).toBeLessThan(1000)
    await until(() => srv.sockets[0]!.destroyed)
  })

  test('the limit covers the whole attempt: a slow resolver eats into the TLS handshake time', async () => {
    const srv = await raw((socket) => socket.resume())
    const slow = fixedResolver({ 'slow.test': ['127.0.0.1'] })
    const resolve = slow.resolve
    slow.resolve = async (...args) => (await sleep(100), resolve(...args))
    const started = performance.now()
    const err = await transport({ resolver: slow })
      .connect({ protocol: 'https:', hostname: 'slow.test', port: srv.port, timeoutMs: 200 })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectTimeoutError)
    expect((err as ConnectTimeoutError).timeout).toBe(200)
    expect(performance.now() - started).toBeLessThan(290) // not 100 ms of DNS + 200 ms of TLS
  })

  test('timeoutMs null (or 0): no timer at all', async () => {
    const srv = await raw((socket) => socket.end())
    for (const timeoutMs of [null, 0]) {
      const before = timersCreated()
      const err = await transport().connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, timeoutMs }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConnectError)
      expect(timersCreated()).toBe(before)
    }
  })

  test('abort while connecting → AbortError (cause = reason), socket closed, listener removed', async () => {
    const srv = await raw((socket) => socket.resume()) // reads the ClientHello, never answers
    const ac = new AbortController()
    const pending = transport().connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port }, ac.signal)
    await until(() => srv.sockets.length === 1)
    const reason = new Error('stop')
    ac.abort(reason)
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).name).toBe('AbortError')
    expect((err as Error).cause).toBe(reason)
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0)
    await until(() => srv.sockets[0]!.destroyed)
  })

  test('an already aborted signal rejects at once, without dialling', async () => {
    const srv = await raw(() => {})
    const err = await transport()
      .connect({ protocol: 'http:', hostname: '127.0.0.1', port: srv.port }, AbortSignal.abort('early'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as Error).cause).toBe('early')
    await sleep(20)
    expect(srv.sockets.length).toBe(0)
  })

  test('one signal for many connects: no abort listener piles up', async () => {
    const srv = await raw((socket) => socket.end())
    const t = transport()
    const ac = new AbortController()
    for (let i = 0; i < 50; i++) {
      const c = await t.connect({ protocol: 'http:', hostname: '127.0.0.1', port: srv.port }, ac.signal)
      c.socket.destroy()
    }
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0)
  })

  test('a server that hangs up during the TLS handshake → ConnectError with the socket error as cause', async () => {
    const srv = await raw((socket) => socket.once('data', () => socket.destroy()))
    const err = await transport().connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).message).toContain(`127.0.0.1:${srv.port}`)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET')
  })

  test('unusable key or certificate material → InvalidArgumentError before anything is dialled', async () => {
    const srv = await raw(() => {})
    for (const tls of [{ key: 'not a key', cert: 'not a cert' }, { pfx: Buffer.from('not a pfx') }]) {
      const err = await transport()
        .connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls })
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InvalidArgumentError)
      expect((err as Error).cause).toBeInstanceOf(Error)
    }
    await sleep(20)
    expect(srv.sockets.length).toBe(0)
  })

  test('bad targets → rejected with InvalidArgumentError, nothing dialled', async () => {
    const t = transport()
    const ok: TransportTarget = { protocol: 'http:', hostname: '127.0.0.1', port: 1 }
    const bad: Partial<TransportTarget>[] = [
      { protocol: 'ftp:' as 'http:' },
      { port: 0 },
      { port: 70000 },
      { port: 1.5 },
      { hostname: '' },
      { timeoutMs: -1 },
      { timeoutMs: Number.POSITIVE_INFINITY },
      { protocol: 'https:', tls: { fingerprint: 'abc' } },
      { protocol: 'https:', alpn: ['h2', ''] },
      { protocol: 'https:', tls: { verify: 'no' as unknown as boolean } },
    ]
    for (const b of bad) await expect(t.connect({ ...ok, ...b })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(t.connect(null as unknown as TransportTarget)).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
