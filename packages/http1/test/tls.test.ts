// TLS: self-signed and custom CA trust, fingerprint pinning, session resumption, ALPN, and TLS
// over an already connected socket — against real node https/tls servers on 127.0.0.1.
import * as https from 'node:https'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { ConnectError, FingerprintMismatchError } from '@sonic/core'
import { beforeAll, describe, expect, test } from 'vitest'
import { TlsSessionCache, connectHttp1, type Http1ConnectOptions, type Http1Connection } from '../src/index.js'
import { makeCert, makeRequest, start, text, until, type Started, type TestCert, openConn, useCleanups } from './helpers.js'

let cert: TestCert
const cleanups = useCleanups()
beforeAll(() => {
  cert = makeCert()
})

async function httpsServer(): Promise<Started<https.Server>> {
  const srv = await start(
    https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => res.end(`secure ${req.url}`)),
    'secureConnection',
  )
  cleanups.push(() => srv.close())
  return srv
}

const open = (port: number, extra: Partial<Http1ConnectOptions> = {}): Promise<Http1Connection> =>
  openConn(cleanups, port, { protocol: 'https:', ...extra })

const req = (path = '/') => makeRequest({ path, scheme: 'https' })

describe('TLS', () => {
  test('self-signed certificate with rejectUnauthorized: false', async () => {
    const srv = await httpsServer()
    const conn = await open(srv.port, { rejectUnauthorized: false })
    const socket = conn.socket as tls.TLSSocket
    expect(socket.encrypted).toBe(true)
    expect(socket.alpnProtocol).toBe('http/1.1')
    const res = await conn.request(req('/x'))
    expect(await text(res.body)).toBe('secure /x')
  })

  test('self-signed certificate is rejected by default → ConnectError with the TLS error as cause', async () => {
    const srv = await httpsServer()
    const err = await connectHttp1({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
  })

  test('custom ca makes the certificate trusted (IP SAN checked)', async () => {
    const srv = await httpsServer()
    const conn = await open(srv.port, { tls: { ca: cert.cert } })
    expect((conn.socket as tls.TLSSocket).authorized).toBe(true)
    const res = await conn.request(req())
    expect(await text(res.body)).toBe('secure /')
  })

  test('custom ca with a wrong SNI name fails the hostname check', async () => {
    const srv = await httpsServer()
    const err = await connectHttp1({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { ca: cert.cert, servername: 'example.test' } }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConnectError)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  test('fingerprint match: any case, with or without colons', async () => {
    const srv = await httpsServer()
    for (const fp of [cert.fingerprint256, cert.fingerprint256.replace(/:/g, '').toLowerCase()]) {
      const conn = await open(srv.port, { rejectUnauthorized: false, fingerprint: fp })
      const res = await conn.request(req())
      expect(await text(res.body)).toBe('secure /')
    }
  })

  test('fingerprint mismatch → FingerprintMismatchError and no request byte reaches the server', async () => {
    let received = 0
    let closed = 0
    const srv = await start(
      tls.createServer({ key: cert.key, cert: cert.cert }, (socket) => {
        socket.on('data', (d: Buffer) => (received += d.length))
      }),
    )
    srv.server.on('tlsClientError', () => {}) // the client may hang up before the server's handshake ends
    srv.server.once('connection', (s: net.Socket) => s.on('close', () => closed++))
    cleanups.push(() => srv.close())
    const wrong = 'ab'.repeat(32)
    const err = await connectHttp1({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, rejectUnauthorized: false, fingerprint: wrong }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(FingerprintMismatchError)
    expect((err as FingerprintMismatchError).expected).toBe(wrong)
    expect((err as FingerprintMismatchError).actual).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase())
    await until(() => closed === 1)
    expect(received).toBe(0)
  })

  test('TLS sessions are resumed on the next connection through TlsSessionCache', async () => {
    const srv = await httpsServer()
    const cache = new TlsSessionCache()
    const first = await open(srv.port, { rejectUnauthorized: false, tlsSessionCache: cache })
    expect((first.socket as tls.TLSSocket).isSessionReused()).toBe(false)
    const res = await first.request(req())
    await text(res.body)
    await until(() => cache.size === 1) // the ticket arrives after the handshake
    first.destroy()
    const second = await open(srv.port, { rejectUnauthorized: false, tlsSessionCache: cache })
    expect((second.socket as tls.TLSSocket).isSessionReused()).toBe(true)
    const res2 = await second.request(req('/again'))
    expect(await text(res2.body)).toBe('secure /again')
    // Pinned connections keep their own sessions (a resumed session presents no certificate):
    // the first one checks the certificate, the next resumes the session it left.
    const pin = { rejectUnauthorized: false, tlsSessionCache: cache, fingerprint: cert.fingerprint256 }
    const pinned = await open(srv.port, pin)
    expect((pinned.socket as tls.TLSSocket).isSessionReused()).toBe(false)
    await text((await pinned.request(req())).body)
    await until(() => cache.size === 2)
    const resumed = await open(srv.port, pin)
    expect((resumed.socket as tls.TLSSocket).isSessionReused()).toBe(true)
    expect(await text((await resumed.request(req('/p'))).body)).toBe('secure /p')
    const third = await open(srv.port, { rejectUnauthorized: false })
    expect((third.socket as tls.TLSSocket).isSessionReused()).toBe(false)
  })

  test('https over an already connected socket (a tunnel) and http over one', async () => {
    const srv = await httpsServer()
    const raw = net.connect(srv.port, '127.0.0.1')
    await new Promise((r) => raw.once('connect', r))
    const conn = await open(srv.port, { socket: raw, hostname: 'localhost', rejectUnauthorized: false })
    const res = await conn.request(req('/tunnel'))
    expect(await text(res.body)).toBe('secure /tunnel')
    conn.destroy()
    await until(() => raw.destroyed)

    const plain = await start(
      (await import('node:http')).createServer((r, s) => s.end(`plain ${r.url}`)),
    )
    cleanups.push(() => plain.close())
    const raw2 = net.connect(plain.port, '127.0.0.1')
    await new Promise((r) => raw2.once('connect', r))
    const conn2 = await connectHttp1({ protocol: 'http:', hostname: 'origin.test', port: 80, socket: raw2 })
    cleanups.push(() => conn2.destroy())
    const res2 = await conn2.request(makeRequest({ path: '/p', authority: 'origin.test' }))
    expect(await text(res2.body)).toBe('plain /p')
  })
})
