// startTls over sockets that are already connected, as a proxy tunnel hands them over: a TCP
// socket, TLS inside TLS (an https proxy), and a JS stream; ownership and timing of the socket.
import * as net from 'node:net'
import { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { ConnectError, ConnectTimeoutError, InvalidArgumentError } from '@sonic/core'
import { beforeAll, describe, expect, test } from 'vitest'
import { TcpTransport, TlsSessionCache, startTls } from '../src/index.js'
import { makeCerts, readString, start, startRaw, startTlsServer, until, useCleanups, type TestCerts } from './helpers.js'

let certs: TestCerts
const cleanups = useCleanups()
beforeAll(() => {
  certs = makeCerts()
})

async function target(alpn = ['h2', 'http/1.1']) {
  const srv = await startTlsServer(certs.leaf, { alpn })
  cleanups.push(() => srv.close())
  return srv
}

async function dial(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  cleanups.push(() => socket.destroy())
  await new Promise((r) => socket.once('connect', r))
  return socket
}

const origin = { hostname: 'localhost', port: 443 }

describe('startTls', () => {
  test('over a connected TCP socket: ALPN, SNI and the certificate check for the target; destroy reaches the socket under', async () => {
    const srv = await target()
    const raw = await dial(srv.port)
    const c = await startTls(raw, { ...origin, tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] })
    const socket = c.socket as tls.TLSSocket
    expect(socket.authorized).toBe(true)
    expect(c.alpn).toBe('h2')
    expect(c.proxied).toBe(false)
    expect(await readString(socket, 8)).toBe('hello h2')
    socket.destroy()
    await until(() => raw.destroyed)
  })

  test('resumes sessions through a given cache', async () => {
    const srv = await target()
    const sessionCache = new TlsSessionCache()
    const a = await startTls(await dial(srv.port), { ...origin, tls: { ca: certs.ca.cert } }, { sessionCache })
    cleanups.push(() => a.socket.destroy())
    await readString(a.socket, 5)
    await until(() => sessionCache.size === 1)
    const b = await startTls(await dial(srv.port), { ...origin, tls: { ca: certs.ca.cert } }, { sessionCache })
    cleanups.push(() => b.socket.destroy())
    expect((b.socket as tls.TLSSocket).isSessionReused()).toBe(true)
  })

  test('TLS inside TLS: a tunnel through an https proxy', async () => {
    const srv = await target()
    // The "proxy": TLS to the client, the decrypted bytes piped to the target server.
    const proxy = await start(
      tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (client) => {
        const upstream = net.connect(srv.port, '127.0.0.1')
        // Forwarded by hand: Readable.pipe() touches process.stdout, which the leak check would see.
        client.on('data', (d: Buffer) => upstream.write(d))
        upstream.on('data', (d: Buffer) => client.write(d))
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
        client.on('close', () => upstream.destroy())
      }),
    )
    cleanups.push(() => proxy.close())
    const transport = new TcpTransport()
    cleanups.push(() => transport.close())
    const tunnel = await transport.connect({ protocol: 'https:', hostname: '127.0.0.1', port: proxy.port, tls: { ca: certs.ca.cert } })
    const inner = await startTls(tunnel.socket, { ...origin, tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] })
    cleanups.push(() => inner.socket.destroy())
    expect(inner.alpn).toBe('h2')
    expect(await readString(inner.socket, 8)).toBe('hello h2')
  })

  test('over a JS stream (no socket handle under it)', async () => {
    const srv = await target(['http/1.1'])
    const raw = await dial(srv.port)
    const js = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        raw.write(chunk, cb)
      },
      final(cb) {
        raw.end(cb)
      },
      destroy(err, cb) {
        raw.destroy()
        cb(err)
      },
    })
    raw.on('data', (d: Buffer) => js.push(d))
    raw.on('end', () => js.push(null))
    const c = await startTls(js, { ...origin, tls: { ca: certs.ca.cert } })
    cleanups.push(() => c.socket.destroy())
    expect(c.alpn).toBe('http/1.1')
    expect(await readString(c.socket, 14)).toBe('hello http/1.1')
  })

  test('a failed handshake destroys the given socket', async () => {
    const srv = await startTlsServer(certs.selfSigned)
    cleanups.push(() => srv.close())
    const raw = await dial(srv.port)
    const err = await startTls(raw, origin).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(raw.destroyed).toBe(true)
  })

  test('bad arguments reject with InvalidArgumentError and destroy the socket; a closed socket → ConnectError', async () => {
    const srv = await startRaw((socket) => socket.resume())
    cleanups.push(() => srv.close())
    const a = await dial(srv.port)
    await expect(startTls(a, { ...origin, tls: { fingerprint: 'nope' } })).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(a.destroyed).toBe(true)
    const b = await dial(srv.port)
    await expect(startTls(b, origin, { timeoutMs: -5 })).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(b.destroyed).toBe(true)
    const closed = await dial(srv.port)
    closed.destroy()
    await expect(startTls(closed, origin)).rejects.toBeInstanceOf(ConnectError)
  })

  test('timeouts: target.timeoutMs, options.timeoutMs, and startedAt counting from the start of the whole attempt', async () => {
    const srv = await startRaw((socket) => socket.resume()) // never answers the ClientHello
    cleanups.push(() => srv.close())
    const timeout = async (p: Promise<unknown>) => {
      const started = performance.now()
      const err = (await p.catch((e: unknown) => e)) as ConnectTimeoutError
      expect(err).toBeInstanceOf(ConnectTimeoutError)
      return { limit: err.timeout, took: performance.now() - started }
    }
    expect((await timeout(startTls(await dial(srv.port), { ...origin, timeoutMs: 60 }))).limit).toBe(60)
    expect((await timeout(startTls(await dial(srv.port), { ...origin, timeoutMs: 5000 }, { timeoutMs: 40 }))).limit).toBe(40)
    // 1000 ms of a 1100 ms limit have gone to earlier phases (a proxy handshake): ≈ 100 ms are left.
    const late = await timeout(startTls(await dial(srv.port), origin, { timeoutMs: 1100, startedAt: performance.now() - 1000 }))
    expect(late.limit).toBe(1100)
    expect(late.took).toBeLessThan(600)
    // Already past the deadline: fails at once.
    const past = await timeout(startTls(await dial(srv.port), origin, { timeoutMs: 100, startedAt: performance.now() - 1000 }))
    expect(past.took).toBeLessThan(50)
  })
})
