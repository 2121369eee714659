// TLS through TcpTransport: trust (own CA, self-signed, verify: false), SNI, ALPN, fingerprint
// pinning and session resumption keyed by content — against real node TLS servers on 127.0.0.1.
import * as tls from 'node:tls'
import { ConnectError, FingerprintMismatchError } from '@sonic/core'
import { beforeAll, describe, expect, test } from 'vitest'
import { TcpTransport, TlsSessionCache, type Connected, type TransportTarget } from '../src/index.js'
import { fixedResolver, hex, listenerCounts, makeCerts, readString, sleep, startTlsServer, until, useCleanups, type KeyPair, type TestCerts } from './helpers.js'

let certs: TestCerts
const cleanups = useCleanups()
beforeAll(() => {
  certs = makeCerts()
})

async function server(cert: KeyPair = certs.leaf, opts: Parameters<typeof startTlsServer>[1] = {}) {
  const srv = await startTlsServer(cert, opts)
  cleanups.push(() => srv.close())
  return srv
}

function transport(opts: ConstructorParameters<typeof TcpTransport>[0] = {}): TcpTransport {
  const t = new TcpTransport(opts)
  cleanups.push(() => t.close())
  return t
}

async function open(t: TcpTransport, port: number, extra: Partial<TransportTarget> = {}): Promise<Connected & { socket: tls.TLSSocket }> {
  const c = await t.connect({ protocol: 'https:', hostname: '127.0.0.1', port, ...extra })
  cleanups.push(() => c.socket.destroy())
  return c as Connected & { socket: tls.TLSSocket }
}

const fail = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e)

describe('trust', () => {
  test('own CA: the certificate is verified (IP SAN), ALPN defaults to http/1.1', async () => {
    const srv = await server(certs.leaf, { alpn: ['h2', 'http/1.1'] })
    const c = await open(transport(), srv.port, { tls: { ca: certs.ca.cert } })
    expect(c.socket).toBeInstanceOf(tls.TLSSocket)
    expect(c.socket.authorized).toBe(true)
    expect(c.alpn).toBe('http/1.1')
    expect(c.proxied).toBe(false)
    expect(await readString(c.socket, 'hello http/1.1'.length)).toBe('hello http/1.1')
  })

  test('a certificate not signed by a trusted CA is rejected by default → ConnectError, TLS error as cause', async () => {
    const srv = await server(certs.selfSigned)
    const t = transport()
    const err = await fail(t.connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port }))
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).message).toContain(`127.0.0.1:${srv.port}`)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    const other = await fail(t.connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { ca: certs.otherCa.cert } }))
    expect(other).toBeInstanceOf(ConnectError)
  })

  test('verify: false (or rejectUnauthorized: false) accepts a self-signed certificate', async () => {
    const srv = await server(certs.selfSigned)
    const t = transport()
    for (const tlsOptions of [{ verify: false }, { rejectUnauthorized: false }]) {
      const c = await open(t, srv.port, { tls: tlsOptions })
      expect(c.socket.authorized).toBe(false)
      expect(await readString(c.socket, 10)).toBe('hello none')
    }
    // An explicit verify wins over rejectUnauthorized.
    const err = await fail(t.connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { verify: true, rejectUnauthorized: false } }))
    expect(err).toBeInstanceOf(ConnectError)
  })

  test('SNI: the host name is sent (IP addresses are not); a servername that the certificate lacks fails', async () => {
    const names: (string | false | null)[] = []
    const srv = await server(certs.leaf, { onSecure: (s) => names.push(s.servername) })
    const t = transport({ resolver: fixedResolver({ localhost: ['127.0.0.1'] }) })
    await open(t, srv.port, { hostname: 'localhost', tls: { ca: certs.ca.cert } })
    await open(t, srv.port, { tls: { ca: certs.ca.cert } })
    await until(() => names.length === 2)
    expect(names).toEqual(['localhost', false])
    const err = await fail(t.connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { ca: certs.ca.cert, servername: 'example.test' } }))
    expect(err).toBeInstanceOf(ConnectError)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  test('the socket handed out carries none of our listeners (as a bare tls.connect socket)', async () => {
    const srv = await server()
    const cache = new TlsSessionCache()
    const c = await open(transport({ tlsSessionCache: cache }), srv.port, { tls: { ca: certs.ca.cert } })
    await readString(c.socket, 10)
    await until(() => cache.size === 1) // the TLS 1.3 ticket came, the session listener went
    const bare = tls.connect({ host: '127.0.0.1', port: srv.port, ca: certs.ca.cert })
    await new Promise((r) => bare.once('secureConnect', r))
    cleanups.push(() => bare.destroy())
    expect(listenerCounts(c.socket)).toEqual(listenerCounts(bare))
    expect(listenerCounts(c.socket).error).toBe(0)
  })
})

describe('ALPN', () => {
  test("['h2', 'http/1.1'] against a server that offers h2 → 'h2'", async () => {
    const srv = await server(certs.leaf, { alpn: ['h2', 'http/1.1'] })
    const c = await open(transport(), srv.port, { tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] })
    expect(c.alpn).toBe('h2')
    expect(await readString(c.socket, 8)).toBe('hello h2')
  })

  test("['h2', 'http/1.1'] against a server that offers only http/1.1 → 'http/1.1'", async () => {
    const srv = await server(certs.leaf, { alpn: ['http/1.1'] })
    const c = await open(transport(), srv.port, { tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] })
    expect(c.alpn).toBe('http/1.1')
  })

  test('a server without ALPN, or no ALPN offered → null', async () => {
    const plain = await server(certs.leaf)
    expect((await open(transport(), plain.port, { tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] })).alpn).toBeNull()
    const offering = await server(certs.leaf, { alpn: ['h2', 'http/1.1'] })
    expect((await open(transport(), offering.port, { tls: { ca: certs.ca.cert }, alpn: [] })).alpn).toBeNull()
  })
})

describe('fingerprint pinning', () => {
  test('a matching pin connects: any case, with or without colons', async () => {
    const srv = await server(certs.selfSigned)
    const t = transport()
    for (const fingerprint of [certs.selfSigned.fingerprint256, hex(certs.selfSigned.fingerprint256), certs.selfSigned.fingerprint256.toLowerCase()]) {
      const c = await open(t, srv.port, { tls: { verify: false, fingerprint } })
      expect(await readString(c.socket, 10)).toBe('hello none')
    }
  })

  test('pinning does not switch verification off: a pinned self-signed certificate still needs verify: false', async () => {
    const srv = await server(certs.selfSigned)
    const err = await fail(transport().connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { fingerprint: certs.selfSigned.fingerprint256 } }))
    expect(err).toBeInstanceOf(ConnectError)
  })

  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`a mismatch → FingerprintMismatchError before the socket is handed out, no session cached (${maxVersion})`, async () => {
      let received = 0
      const srv = await server(certs.leaf, { maxVersion, onSecure: (s) => s.on('data', (d: Buffer) => (received += d.length)) })
      const cache = new TlsSessionCache()
      const wrong = 'ab'.repeat(32)
      const err = await fail(
        transport({ tlsSessionCache: cache }).connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { ca: certs.ca.cert, fingerprint: wrong } }),
      )
      expect(err).toBeInstanceOf(FingerprintMismatchError)
      expect((err as FingerprintMismatchError).expected).toBe(wrong)
      expect((err as FingerprintMismatchError).actual).toBe(hex(certs.leaf.fingerprint256))
      await until(() => srv.sockets[0]!.destroyed)
      await sleep(20)
      expect(cache.size).toBe(0)
      expect(received).toBe(0)
    })
  }
})

describe('session resumption', () => {
  async function resumes(t: TcpTransport, port: number, first: Partial<TransportTarget>, second: Partial<TransportTarget>, cache: TlsSessionCache): Promise<boolean> {
    const before = cache.size
    const a = await open(t, port, first)
    expect(a.socket.isSessionReused()).toBe(false)
    await readString(a.socket, 5)
    await until(() => cache.size > before) // TLS 1.3: the ticket arrives after the handshake
    a.socket.destroy()
    const b = await open(t, port, second)
    return b.socket.isSessionReused()
  }

  test('the second connect resumes the first one’s session (TLS 1.3 and TLS 1.2)', async () => {
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const srv = await server(certs.leaf, { maxVersion })
      const cache = new TlsSessionCache()
      const target = { tls: { ca: certs.ca.cert } }
      expect(await resumes(transport({ tlsSessionCache: cache }), srv.port, target, target, cache)).toBe(true)
    }
  })

  test('two distinct but equal ca Buffers share sessions', async () => {
    const srv = await server()
    const cache = new TlsSessionCache()
    const t = transport({ tlsSessionCache: cache })
    expect(await resumes(t, srv.port, { tls: { ca: Buffer.from(certs.ca.cert) } }, { tls: { ca: Buffer.from(certs.ca.cert) } }, cache)).toBe(true)
  })

  test('not resumed when the ca content differs', async () => {
    const srv = await server()
    const cache = new TlsSessionCache()
    const t = transport({ tlsSessionCache: cache })
    const wider = { tls: { ca: [certs.ca.cert, certs.otherCa.cert] } }
    expect(await resumes(t, srv.port, { tls: { ca: certs.ca.cert } }, wider, cache)).toBe(false)
  })

  test('not shared between verified and unverified, pinned and unpinned, or different SNI names', async () => {
    const srv = await server()
    const verified = { tls: { ca: certs.ca.cert } }
    const others: Partial<TransportTarget>[] = [
      { tls: { ca: certs.ca.cert, verify: false } },
      { tls: { ca: certs.ca.cert, fingerprint: certs.leaf.fingerprint256 } },
      { hostname: 'localhost', tls: { ca: certs.ca.cert } },
    ]
    for (const other of others) {
      const cache = new TlsSessionCache()
      const t = transport({ tlsSessionCache: cache, resolver: fixedResolver({ localhost: ['127.0.0.1'] }) })
      expect(await resumes(t, srv.port, verified, other, cache)).toBe(false)
    }
  })

  test('a pinned connection resumes the session of an earlier one with the same pin', async () => {
    const srv = await server()
    const cache = new TlsSessionCache()
    const pinned = { tls: { ca: certs.ca.cert, fingerprint: certs.leaf.fingerprint256 } }
    expect(await resumes(transport({ tlsSessionCache: cache }), srv.port, pinned, pinned, cache)).toBe(true)
  })

  test('sessions are per transport; tlsSessionCache: null never resumes', async () => {
    const srv = await server()
    const target = { tls: { ca: certs.ca.cert } }
    const a = transport()
    const first = await open(a, srv.port, target)
    await readString(first.socket, 5)
    await until(() => a.tlsSessionCache!.size === 1)
    expect((await open(transport(), srv.port, target)).socket.isSessionReused()).toBe(false)
    const none = transport({ tlsSessionCache: null })
    expect(none.tlsSessionCache).toBeNull()
    const x = await open(none, srv.port, target)
    await readString(x.socket, 5)
    await sleep(20)
    expect((await open(none, srv.port, target)).socket.isSessionReused()).toBe(false)
  })

  test('close() forgets the sessions of the cache the transport made', async () => {
    const srv = await server()
    const t = new TcpTransport()
    const c = await open(t, srv.port, { tls: { ca: certs.ca.cert } })
    await readString(c.socket, 5)
    await until(() => t.tlsSessionCache!.size === 1)
    await t.close()
    expect(t.tlsSessionCache!.size).toBe(0)
  })
})
