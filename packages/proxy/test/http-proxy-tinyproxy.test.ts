// HttpProxy against a real forward proxy: tinyproxy, started by the test in the foreground with
// Basic auth and a CONNECT port list. Skipped (reported as skipped) when tinyproxy is not
// installed; .ci/run installs it.
import * as http from 'node:http'
import * as https from 'node:https'
import type { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { HttpHeaders, ProxyError } from '@sonic/core'
import { Http1Connection } from '@sonic/http1'
import { TcpTransport } from '@sonic/transport'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { HttpProxy } from '../src/http-proxy.js'
import { freePort, hasCommand, makeCerts, start, startTinyproxy, useCleanups, type Daemon, type Started, type TestCerts } from './helpers.js'

const AUTH = { username: 'sonic', password: 'tunnel-pass' }

describe.skipIf(!hasCommand('tinyproxy'))('HttpProxy through tinyproxy', () => {
  let certs: TestCerts
  let tinyproxy: Daemon
  /** Answers `hello <alpn>` after the handshake; offers h2 and http/1.1. */
  let alpnTarget: Started<tls.Server>
  let httpsTarget: Started<https.Server>
  let httpTarget: Started<http.Server>
  /** A port in the CONNECT list that nothing listens on. */
  let closedPort: number
  const transport = new TcpTransport()

  beforeAll(async () => {
    certs = makeCerts()
    alpnTarget = await start(
      tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
        s.on('error', () => {})
        s.end(`hello ${s.alpnProtocol || 'none'}`)
      }),
    )
    httpsTarget = await start(https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (req, res) => res.end(`secure ${req.url}`)))
    httpTarget = await start(
      http.createServer((req, res) => res.end(`plain ${req.url} proxy-authorization=${req.headers['proxy-authorization'] ?? 'none'}`)),
    )
    closedPort = await freePort()
    tinyproxy = await startTinyproxy({ auth: AUTH, connectPorts: [alpnTarget.port, httpsTarget.port, closedPort] })
  })

  afterAll(async () => {
    await tinyproxy?.stop()
    await Promise.all([alpnTarget?.close(), httpsTarget?.close(), httpTarget?.close()])
    await transport.close()
  })

  const cleanups = useCleanups()
  const proxyUrl = (userinfo = `${AUTH.username}:${AUTH.password}@`): string => `http://${userinfo}127.0.0.1:${tinyproxy.port}`

  async function readAll(socket: Duplex): Promise<string> {
    let out = ''
    for await (const chunk of socket) out += (chunk as Buffer).toString()
    return out
  }

  test('CONNECT with accepted credentials, TLS to a local CA’s server, ALPN through the tunnel', async () => {
    const c = await new HttpProxy(proxyUrl())
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: 'localhost', port: alpnTarget.port, tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] })
    cleanups.push(() => c.socket.destroy())
    expect(c).toMatchObject({ alpn: 'h2', proxied: true })
    expect(await readAll(c.socket)).toBe('hello h2')
  })

  test('an HTTP/1.1 request through the tunnel, credentials from options.auth', async () => {
    const c = await new HttpProxy(proxyUrl(''), { auth: AUTH })
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: '127.0.0.1', port: httpsTarget.port, tls: { ca: certs.ca.cert } })
    const conn = new Http1Connection(c.socket)
    cleanups.push(() => conn.destroy())
    const res = await conn.request({ method: 'GET', path: '/through', authority: `127.0.0.1:${httpsTarget.port}`, scheme: 'https', headers: [], body: null, sockRead: 5000 })
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.body.readAll()).toString()).toBe('secure /through')
  })

  test('no credentials → ProxyError 407 with the proxy’s Proxy-Authenticate', async () => {
    const err = await new HttpProxy(proxyUrl(''))
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: 'localhost', port: alpnTarget.port, tls: { ca: certs.ca.cert } })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    const pe = err as ProxyError
    expect(pe.status).toBe(407)
    expect(pe.headers).toBeInstanceOf(HttpHeaders)
    expect(pe.headers!.get('proxy-authenticate')).toMatch(/^Basic/i)
  })

  test('wrong credentials → ProxyError with the proxy’s status and headers', async () => {
    const err = await new HttpProxy(proxyUrl(`${AUTH.username}:nope@`))
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: 'localhost', port: alpnTarget.port, tls: { ca: certs.ca.cert } })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    const pe = err as ProxyError
    // tinyproxy 1.11 answers bad credentials with 401 + WWW-Authenticate (407 when none are sent);
    // the error reports what the proxy said.
    expect([401, 407]).toContain(pe.status)
    expect(pe.headers!.get(pe.status === 407 ? 'proxy-authenticate' : 'www-authenticate')).toMatch(/^Basic/i)
  })

  test('a port outside ConnectPort → ProxyError 403', async () => {
    const err = await new HttpProxy(proxyUrl()).tunnel(transport).connect({ protocol: 'https:', hostname: '127.0.0.1', port: httpTarget.port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    expect((err as ProxyError).status).toBe(403)
  })

  test('the target refuses the proxy → ProxyError with the proxy’s 5xx', async () => {
    const err = await new HttpProxy(proxyUrl()).tunnel(transport).connect({ protocol: 'https:', hostname: '127.0.0.1', port: closedPort }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    expect((err as ProxyError).status).toBeGreaterThanOrEqual(500)
  })

  test('forward mode: an absolute-form request on a connection to proxy.target with forwardHeaders', async () => {
    const proxy = new HttpProxy(proxyUrl())
    const authority = `127.0.0.1:${httpTarget.port}`
    // tinyproxy closes its client connection after each response: one connection per request.
    for (const path of ['/one', '/two']) {
      const { socket } = await transport.connect(proxy.target)
      const conn = new Http1Connection(socket)
      cleanups.push(() => conn.destroy())
      const res = await conn.request({ method: 'GET', path: `http://${authority}${path}`, authority, scheme: 'http', headers: proxy.forwardHeaders, body: null, sockRead: 5000 })
      expect(res.status).toBe(200)
      // tinyproxy takes Proxy-Authorization for itself and does not pass it on.
      expect(Buffer.from(await res.body.readAll()).toString()).toBe(`plain ${path} proxy-authorization=none`)
    }
  })

  test('forward mode without credentials → 407 from the proxy (the client turns it into ProxyError)', async () => {
    const proxy = new HttpProxy(proxyUrl(''))
    const { socket } = await transport.connect(proxy.target)
    const conn = new Http1Connection(socket)
    cleanups.push(() => conn.destroy())
    const authority = `127.0.0.1:${httpTarget.port}`
    const res = await conn.request({ method: 'GET', path: `http://${authority}/`, authority, scheme: 'http', headers: proxy.forwardHeaders, body: null, sockRead: 5000 })
    expect(res.status).toBe(407)
    await res.body.cancel()
  })
})
