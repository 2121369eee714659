// SocksProxy against a scripted SOCKS server on 127.0.0.1, for what a real proxy will not do on
// demand: each REP code, a proxy that never answers, one that hangs up, aborts at every phase,
// bytes right behind the reply, and what is asked of the proxy (address or name).
import * as net from 'node:net'
import { AbortError, ConnectError, ConnectTimeoutError, InvalidArgumentError, ProxyError } from '@sonic/core'
import { TcpTransport, type Transport } from '@sonic/transport'
import { afterAll, describe, expect, it } from 'vitest'
import { SocksProxy } from '../src/socks-proxy.js'
import { start, until } from './helpers.js'
import { socks5Reply, startScriptedSocks5, useCleanups } from './socks-helpers.js'

const transport = new TcpTransport()
afterAll(() => transport.close())

describe('SocksProxy failures (scripted SOCKS5 server)', () => {
  const cleanups = useCleanups()

  it('REP 5 (connection refused) → ProxyError with socksReply 5, socket destroyed', async () => {
    const server = await startScriptedSocks5((s) => s.write(socks5Reply(5)))
    cleanups.push(() => server.close())
    const proxy = new SocksProxy(`socks5://127.0.0.1:${server.port}`)
    const err = await proxy.tunnel(transport).connect({ protocol: 'http:', hostname: '10.9.8.7', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    expect((err as ProxyError).socksReply).toBe(5)
    expect((err as ProxyError).status).toBeUndefined()
    expect((err as ProxyError).message).toMatch(/refused to connect to 10\.9\.8\.7:80: connection refused \(reply 5\)/)
    // our end is gone: the server sees the connection close
    await until(() => server.sockets.every((s) => s.destroyed || s.readableEnded))
  })

  it('every RFC 1928 REP code is reported as socksReply', async () => {
    for (const rep of [1, 2, 3, 4, 6, 7, 8]) {
      const server = await startScriptedSocks5((s) => s.write(socks5Reply(rep)))
      const err = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 }).catch((e: unknown) => e)
      await server.close()
      expect(err).toBeInstanceOf(ProxyError)
      expect((err as ProxyError).socksReply).toBe(rep)
    }
  })

  it('an unknown REP code → ProxyError without socksReply', async () => {
    const server = await startScriptedSocks5((s) => s.write(socks5Reply(0x42)))
    cleanups.push(() => server.close())
    const err = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    expect((err as ProxyError).socksReply).toBeUndefined()
  })

  it('SOCKS4: a rejection (91) → ProxyError with socksReply 91', async () => {
    const seen: Buffer[] = []
    const server = await start(net.createServer((s) => {
      s.on('error', () => {})
      s.once('data', (d) => {
        seen.push(d)
        s.write(Buffer.from([0, 91, 0, 0, 0, 0, 0, 0]))
      })
    }))
    cleanups.push(() => server.close())
    const proxy = new SocksProxy(`socks4://127.0.0.1:${server.port}`, { auth: 'me' })
    const err = await proxy.tunnel(transport).connect({ protocol: 'http:', hostname: '10.1.2.3', port: 8080 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    expect((err as ProxyError).socksReply).toBe(91)
    // VN 4, CD 1 (connect), port, IPv4, user id, NUL
    expect([...seen[0]!]).toEqual([4, 1, 0x1f, 0x90, 10, 1, 2, 3, ...Buffer.from('me'), 0])
  })

  it('SOCKS4 grants: socks4 sends the address resolved here, socks4a the name; no limit works too', async () => {
    const seen: Buffer[] = []
    const server = await start(net.createServer((s) => {
      s.on('error', () => {})
      s.once('data', (d) => {
        seen.push(d)
        s.write(Buffer.concat([Buffer.from([0, 90, 0, 0, 0, 0, 0, 0]), Buffer.from('hi')]))
      })
    }))
    cleanups.push(() => server.close())
    for (const scheme of ['socks4', 'socks4a']) {
      const { socket, proxied } = await new SocksProxy(`${scheme}://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: 'localhost', port: 80, timeoutMs: null })
      expect(proxied).toBe(true)
      expect(await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())))).toBe('hi')
      socket.destroy()
    }
    expect([...seen[0]!]).toEqual([4, 1, 0, 80, 127, 0, 0, 1, 0])
    expect([...seen[1]!]).toEqual([4, 1, 0, 80, 0, 0, 0, 1, 0, ...Buffer.from('localhost'), 0])
  })

  it('SOCKS4 cannot reach an IPv6 address → ProxyError before anything is dialled', async () => {
    const err = await new SocksProxy('socks4://127.0.0.1:1').tunnel(transport).connect({ protocol: 'http:', hostname: '[::1]', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
  })

  it('a proxy that never answers → ConnectTimeoutError with the target limit, socket destroyed', async () => {
    const server = await startScriptedSocks5(() => {})
    cleanups.push(() => server.close())
    const started = performance.now()
    const err = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80, timeoutMs: 150 }).catch((e: unknown) => e)
    const took = performance.now() - started
    expect(err).toBeInstanceOf(ConnectTimeoutError)
    expect((err as ConnectTimeoutError).timeout).toBe(150)
    expect(took).toBeGreaterThanOrEqual(140)
    expect(took).toBeLessThan(1000)
    await until(() => server.sockets.every((s) => s.destroyed || s.readableEnded))
  })

  it('a proxy silent after the greeting → ConnectTimeoutError too', async () => {
    const server = await startScriptedSocks5(() => {}, () => true)
    cleanups.push(() => server.close())
    const err = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80, timeoutMs: 100 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectTimeoutError)
  })

  it('one limit covers the handshake and the TLS inside it', async () => {
    // Grants the tunnel, then never answers the ClientHello.
    const server = await startScriptedSocks5((s) => s.write(socks5Reply(0)))
    cleanups.push(() => server.close())
    const started = performance.now()
    const err = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'https:', hostname: '10.0.0.1', port: 443, timeoutMs: 200 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectTimeoutError)
    expect((err as ConnectTimeoutError).timeout).toBe(200)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('a proxy that hangs up during the handshake → ConnectError naming the proxy', async () => {
    const server = await startScriptedSocks5((s) => s.destroy())
    cleanups.push(() => server.close())
    const err = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as ConnectError).message).toContain(`socks5://127.0.0.1:${server.port}`)
  })

  it('abort during the handshake → AbortError (cause = the reason), socket destroyed', async () => {
    const server = await startScriptedSocks5(() => {})
    cleanups.push(() => server.close())
    const ac = new AbortController()
    const pending = new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 }, ac.signal)
    await until(() => server.requests.length === 1)
    const reason = new Error('stop')
    ac.abort(reason)
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).cause).toBe(reason)
    await until(() => server.sockets.every((s) => s.destroyed || s.readableEnded))
  })

  it('abort while dialling the proxy, and an already aborted signal → AbortError', async () => {
    const server = await startScriptedSocks5(() => {})
    cleanups.push(() => server.close())
    const tunnel = new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport)
    const ac = new AbortController()
    const pending = tunnel.connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 }, ac.signal)
    ac.abort()
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(AbortError)
    expect(await tunnel.connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 }, ac.signal).catch((e: unknown) => e)).toBeInstanceOf(AbortError)
  })

  it('abort during the TLS handshake inside the tunnel → AbortError', async () => {
    const server = await startScriptedSocks5((s) => s.write(socks5Reply(0)))
    cleanups.push(() => server.close())
    const ac = new AbortController()
    const pending = new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'https:', hostname: '10.0.0.1', port: 443 }, ac.signal)
    await until(() => server.requests.length === 1)
    await new Promise((r) => setTimeout(r, 30))
    ac.abort()
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(AbortError)
  })

  it('keeps bytes the target sent right behind the reply for a listener attached later', async () => {
    const server = await startScriptedSocks5((s) => s.write(Buffer.concat([socks5Reply(0), Buffer.from('early bytes')])))
    cleanups.push(() => server.close())
    const { socket } = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80 })
    cleanups.push(() => socket.destroy())
    expect(socket.readableFlowing).toBeNull()
    await new Promise((r) => setTimeout(r, 30))
    const got = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())))
    expect(got).toBe('early bytes')
  })

  it('asks for an IP target by address, a socks5h name by name, a socks5 name by its resolved address', async () => {
    const server = await startScriptedSocks5((s) => s.write(socks5Reply(0)))
    cleanups.push(() => server.close())
    const connect = async (scheme: string, hostname: string): Promise<void> => {
      const { socket } = await new SocksProxy(`${scheme}://127.0.0.1:${server.port}`).tunnel(transport).connect({ protocol: 'http:', hostname, port: 8080 })
      socket.destroy()
    }
    await connect('socks5', '192.0.2.1')
    await connect('socks5h', 'localhost')
    await connect('socks5', 'localhost')
    await connect('socks5h', '[::1]')
    expect(server.requests).toEqual([
      { atyp: 1, host: '192.0.2.1', port: 8080 },
      { atyp: 3, host: 'localhost', port: 8080 },
      { atyp: 1, host: '127.0.0.1', port: 8080 },
      { atyp: 4, host: '0:0:0:0:0:0:0:1', port: 8080 },
    ])
  })

  it('rejects bad targets with InvalidArgumentError before dialling', async () => {
    const tunnel = new SocksProxy('socks5h://127.0.0.1:1').tunnel(transport)
    for (const target of [
      { protocol: 'ftp:', hostname: 'a.com', port: 21 },
      { protocol: 'http:', hostname: '', port: 80 },
      { protocol: 'http:', hostname: 'a.com', port: 0 },
      { protocol: 'http:', hostname: 'a.com', port: 80, timeoutMs: -1 },
      { protocol: 'http:', hostname: 'bad name', port: 80 },
    ]) {
      expect(await tunnel.connect(target as never).catch((e: unknown) => e)).toBeInstanceOf(InvalidArgumentError)
    }
  })

  it('dials the proxy through the inner transport', async () => {
    const server = await startScriptedSocks5((s) => s.write(socks5Reply(0)))
    cleanups.push(() => server.close())
    const asked: unknown[] = []
    const inner: Transport = { connect: (t, signal) => (asked.push(t), transport.connect(t, signal)) }
    const { socket } = await new SocksProxy(`socks5://127.0.0.1:${server.port}`).tunnel(inner).connect({ protocol: 'http:', hostname: '10.0.0.1', port: 80, timeoutMs: 1000 })
    socket.destroy()
    expect(asked).toHaveLength(1)
    expect(asked[0]).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: server.port })
    expect((asked[0] as { timeoutMs: number }).timeoutMs).toBeLessThanOrEqual(1000)
  })
})

describe('SocksProxy', () => {
  it('parses every scheme; url without credentials, default port 1080', () => {
    const cases: [string, string, 4 | 5, boolean][] = [
      ['socks5://127.0.0.1:1081', 'socks5://127.0.0.1:1081', 5, false],
      ['socks5h://Proxy.Example', 'socks5h://proxy.example:1080', 5, true],
      ['socks4://u@127.0.0.1:1082/', 'socks4://127.0.0.1:1082', 4, false],
      ['socks4a://127.0.0.1', 'socks4a://127.0.0.1:1080', 4, true],
      ['socks5://user:pass@[::1]:1083', 'socks5://[::1]:1083', 5, false],
    ]
    for (const [input, url, version, remoteDns] of cases) {
      for (const given of [input, new URL(input)]) {
        const p = new SocksProxy(given)
        expect(p.url).toBe(url)
        expect(p.version).toBe(version)
        expect(p.remoteDns).toBe(remoteDns)
      }
    }
    expect(new SocksProxy('socks5://[::1]:1083').target).toMatchObject({ protocol: 'http:', hostname: '::1', port: 1083 })
  })

  it('key: equal for equal proxies and credentials, different otherwise, never the password', () => {
    const a = new SocksProxy('socks5://alice:s3cret@127.0.0.1:1080')
    expect(new SocksProxy('socks5://127.0.0.1:1080', { auth: 'alice:s3cret' }).key).toBe(a.key)
    expect(new SocksProxy('socks5://127.0.0.1:1080', { auth: { username: 'alice', password: 's3cret' } }).key).toBe(a.key)
    expect(new SocksProxy('socks5://alice:other@127.0.0.1:1080').key).not.toBe(a.key)
    expect(new SocksProxy('socks5://127.0.0.1:1080').key).toBe('socks5://127.0.0.1:1080')
    expect(new SocksProxy('socks5h://127.0.0.1:1080').key).not.toBe(new SocksProxy('socks5://127.0.0.1:1080').key)
    expect(a.key).not.toContain('s3cret')
    expect(a.url).not.toContain('alice')
  })

  it('bad URLs, schemes and credentials → InvalidArgumentError', () => {
    for (const bad of ['not a url', 'http://127.0.0.1:3128', 'socks://127.0.0.1', 'socks5://', 'socks5://:1080', 'socks5://127.0.0.1:0', 'socks5://a%20b:1080', 'socks5://%E0%A4%A@127.0.0.1']) {
      expect(() => new SocksProxy(bad), bad).toThrow(InvalidArgumentError)
    }
    expect(() => new SocksProxy('socks5://127.0.0.1', { auth: 'x'.repeat(256) })).toThrow(InvalidArgumentError)
    expect(() => new SocksProxy('socks5://127.0.0.1', { auth: 3 as never })).toThrow(InvalidArgumentError)
    expect(() => new SocksProxy('socks4://127.0.0.1', { auth: 'a\0b' })).toThrow(InvalidArgumentError)
    expect(() => new SocksProxy('socks5://127.0.0.1', null as never)).toThrow(InvalidArgumentError)
    expect(() => new SocksProxy('socks5://127.0.0.1').tunnel(null as never)).toThrow(InvalidArgumentError)
  })
})
