// UnixTransport: plain and TLS over a unix domain socket (SNI and the certificate check use the
// target's host name), failures and closing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type * as tls from 'node:tls'
import { AbortError, ClientClosedError, ConnectError, InvalidArgumentError } from '@sonic/core'
import { beforeAll, describe, expect, test } from 'vitest'
import { UnixTransport, type Connected, type TransportTarget } from '../src/index.js'
import { makeCerts, readString, startRaw, startTlsServer, until, useCleanups, type TestCerts } from './helpers.js'

let certs: TestCerts
let dir: string
const cleanups = useCleanups()
beforeAll(() => {
  certs = makeCerts()
  dir = mkdtempSync(join(tmpdir(), 'sonic-transport-unix-'))
  return () => rmSync(dir, { recursive: true, force: true })
})

let n = 0
const nextPath = (): string => join(dir, `s${n++}.sock`)

function transport(path: string): UnixTransport {
  const t = new UnixTransport({ path })
  cleanups.push(() => t.close())
  return t
}

async function open(t: UnixTransport, target: Partial<TransportTarget> = {}): Promise<Connected> {
  const c = await t.connect({ protocol: 'http:', hostname: 'localhost', port: 80, ...target })
  cleanups.push(() => c.socket.destroy())
  return c
}

describe('unix domain socket', () => {
  test('plain: every connect goes to the path; alpn null, not proxied', async () => {
    const path = nextPath()
    const srv = await startRaw((socket) => socket.end('unix hello'), path)
    cleanups.push(() => srv.close())
    const t = transport(path)
    expect(t.path).toBe(path)
    for (let i = 0; i < 2; i++) {
      const c = await open(t)
      expect(c.alpn).toBeNull()
      expect(c.proxied).toBe(false)
      expect(await readString(c.socket, 10)).toBe('unix hello')
    }
    expect(srv.sockets.length).toBe(2)
  })

  test('https: TLS over the socket, verified for the target host name, with ALPN and resumption', async () => {
    const path = nextPath()
    const names: (string | false | null)[] = []
    const srv = await startTlsServer(certs.leaf, { path, alpn: ['h2', 'http/1.1'], onSecure: (s) => names.push(s.servername) })
    cleanups.push(() => srv.close())
    const t = transport(path)
    const target = { protocol: 'https:' as const, port: 443, tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] }
    const a = await open(t, target)
    const socket = a.socket as tls.TLSSocket
    expect(socket.authorized).toBe(true)
    expect(a.alpn).toBe('h2')
    expect(await readString(socket, 8)).toBe('hello h2')
    expect(names).toEqual(['localhost'])
    await until(() => t.tlsSessionCache!.size === 1)
    const b = await open(t, target)
    expect((b.socket as tls.TLSSocket).isSessionReused()).toBe(true)
    // A name the certificate does not hold fails the check, as over TCP.
    const err = await t.connect({ ...target, hostname: 'example.test' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  test('no such socket → ConnectError naming the path, ENOENT as cause', async () => {
    const path = nextPath()
    const err = await transport(path).connect({ protocol: 'http:', hostname: 'localhost', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).message).toContain(path)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT')
  })

  test('abort during the TLS handshake → AbortError; timeout → ConnectTimeoutError', async () => {
    const path = nextPath()
    const srv = await startRaw((socket) => socket.resume(), path)
    cleanups.push(() => srv.close())
    const t = transport(path)
    const ac = new AbortController()
    const pending = t.connect({ protocol: 'https:', hostname: 'localhost', port: 443 }, ac.signal)
    await until(() => srv.sockets.length === 1)
    ac.abort()
    await expect(pending).rejects.toBeInstanceOf(AbortError)
    await expect(t.connect({ protocol: 'https:', hostname: 'localhost', port: 443, timeoutMs: 50 })).rejects.toMatchObject({
      code: 'SONIC_CONNECT_TIMEOUT',
      timeout: 50,
    })
    await until(() => srv.sockets.length === 2 && srv.sockets.every((s) => s.destroyed))
  })

  test('bad path → InvalidArgumentError; after close() → ClientClosedError', async () => {
    expect(() => new UnixTransport({ path: '' })).toThrow(InvalidArgumentError)
    expect(() => new UnixTransport({} as { path: string })).toThrow(InvalidArgumentError)
    const t = new UnixTransport({ path: nextPath() })
    await t.close()
    await expect(t.connect({ protocol: 'http:', hostname: 'localhost', port: 80 })).rejects.toBeInstanceOf(ClientClosedError)
  })
})
