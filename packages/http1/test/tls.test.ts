// HTTP over TLS sockets (self-signed and custom CA trust) and over sockets given as they are: a
// tunnel, TLS layered on one, a plain stream.Duplex — against real node https servers on
// 127.0.0.1. Connecting itself (trust failures, SNI, pinning, session resumption, ALPN) is
// @sonic/transport's and tested there (test/tls.test.ts, test/start-tls.test.ts).
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import { Duplex } from 'node:stream'
import type * as tls from 'node:tls'
import { beforeAll, describe, expect, test } from 'vitest'
import { Http1Connection } from '../src/index.js'
import { connect, makeCert, makeRequest, start, text, until, type ConnectOptions, type Started, type TestCert, openConn, useCleanups } from './helpers.js'

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

const open = (port: number, extra: Partial<ConnectOptions> = {}): Promise<Http1Connection> =>
  openConn(cleanups, port, { protocol: 'https:', ...extra })

const req = (path = '/') => makeRequest({ path, scheme: 'https' })

describe('TLS', () => {
  test('self-signed certificate with rejectUnauthorized: false', async () => {
    const srv = await httpsServer()
    const conn = await open(srv.port, { tls: { rejectUnauthorized: false } })
    const socket = conn.socket as tls.TLSSocket
    expect(socket.encrypted).toBe(true)
    expect(socket.alpnProtocol).toBe('http/1.1')
    const res = await conn.request(req('/x'))
    expect(await text(res.body)).toBe('secure /x')
  })

  test('custom ca makes the certificate trusted (IP SAN checked)', async () => {
    const srv = await httpsServer()
    const conn = await open(srv.port, { tls: { ca: cert.cert } })
    expect((conn.socket as tls.TLSSocket).authorized).toBe(true)
    const res = await conn.request(req())
    expect(await text(res.body)).toBe('secure /')
  })

  test('https over an already connected socket (a tunnel) and http over one', async () => {
    const srv = await httpsServer()
    const raw = net.connect(srv.port, '127.0.0.1')
    await new Promise((r) => raw.once('connect', r))
    const conn = await open(srv.port, { socket: raw, hostname: 'localhost', tls: { rejectUnauthorized: false } })
    const res = await conn.request(req('/tunnel'))
    expect(await text(res.body)).toBe('secure /tunnel')
    conn.destroy()
    await until(() => raw.destroyed)

    const plain = await start(http.createServer((r, s) => s.end(`plain ${r.url}`)))
    cleanups.push(() => plain.close())
    const raw2 = net.connect(plain.port, '127.0.0.1')
    await new Promise((r) => raw2.once('connect', r))
    const conn2 = await connect({ protocol: 'http:', hostname: 'origin.test', port: 80, socket: raw2 })
    cleanups.push(() => conn2.destroy())
    const res2 = await conn2.request(makeRequest({ path: '/p', authority: 'origin.test' }))
    expect(await text(res2.body)).toBe('plain /p')
  })
})

/** A plain stream.Duplex over a TCP socket — no handle, setNoDelay, ref or unref — as a tunnel stream may be. */
function jsStream(raw: net.Socket): Duplex {
  const js = new Duplex({
    read() {
      raw.resume()
    },
    write(chunk, _encoding, callback) {
      raw.write(chunk, callback)
    },
    final(callback) {
      raw.end(callback)
    },
    destroy(err, callback) {
      raw.destroy()
      callback(err)
    },
  })
  raw.on('data', (d: Buffer) => {
    if (!js.push(d)) raw.pause()
  })
  raw.on('end', () => js.push(null))
  raw.on('close', () => js.destroy())
  return js
}

async function dial(port: number): Promise<net.Socket> {
  const raw = net.connect(port, '127.0.0.1')
  cleanups.push(() => raw.destroy())
  await new Promise((r) => raw.once('connect', r))
  return raw
}

describe('any connected Duplex', () => {
  test('http over a plain Duplex: keep-alive, setIdle without ref/unref, destroy reaches the stream', async () => {
    const plain = await start(http.createServer((r, s) => s.end(`plain ${r.url}`)))
    cleanups.push(() => plain.close())
    const raw = await dial(plain.port)
    const js = jsStream(raw)
    expect('setNoDelay' in js || 'ref' in js || 'unref' in js).toBe(false)
    const conn = new Http1Connection(js)
    cleanups.push(() => conn.destroy())
    expect(conn.socket).toBe(js)
    for (const path of ['/a', '/b']) {
      conn.setIdle(false)
      expect(await text((await conn.request(makeRequest({ path }))).body)).toBe(`plain ${path}`)
      conn.setIdle(true)
    }
    expect(conn.closed).toBe(false)
    expect(plain.sockets.length).toBe(1)
    conn.destroy()
    expect(js.destroyed).toBe(true)
    await until(() => raw.destroyed)
  })

  test('https with TLS layered on a plain Duplex (a TLSSocket with no TCP handle under it)', async () => {
    const srv = await httpsServer()
    const raw = await dial(srv.port)
    const conn = await open(srv.port, { socket: jsStream(raw), hostname: 'localhost', tls: { ca: cert.cert } })
    expect((conn.socket as tls.TLSSocket).authorized).toBe(true)
    conn.setIdle(true)
    conn.setIdle(false)
    expect(await text((await conn.request(req('/js'))).body)).toBe('secure /js')
    expect(await text((await conn.request(req('/again'))).body)).toBe('secure /again')
    conn.destroy()
    await until(() => raw.destroyed)
  })
})
