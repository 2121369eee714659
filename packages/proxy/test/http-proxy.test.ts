// CONNECT tunnels through a node http(s) server's 'connect' event: a proxy whose answers the test
// chooses, for the failures a daemon will not produce on demand.
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import type { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { AbortError, ConnectError, ConnectTimeoutError, HttpHeaders, ProxyError } from '@sonic/core'
import { Http1Connection } from '@sonic/http1'
import { TcpTransport, type Transport } from '@sonic/transport'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { HttpProxy } from '../src/http-proxy.js'
import { freePort, makeCerts, sleep, start, until, useCleanups, type Started, type TestCerts } from './helpers.js'

/** What the proxy does with the next CONNECT. */
type Mode = 'tunnel' | 'tunnel+head' | 403 | 502 | 'close' | 'silent' | 'half-answer'

let certs: TestCerts
let mode: Mode = 'tunnel'
/** Requests the proxy saw: CONNECT target and Proxy-Authorization. */
const seen: { url: string; auth: string | undefined; host: string | undefined }[] = []
/** Sockets the proxies opened upstream or received in 'connect' (destroyed with the tunnel). */
const proxySockets = new Set<net.Socket>()

function onConnect(req: http.IncomingMessage, client: Duplex, head: Buffer): void {
  seen.push({ url: req.url ?? '', auth: req.headers['proxy-authorization'], host: req.headers.host })
  client.on('error', () => {})
  // http.Server sockets are half-open: a tunnel ends when either side does.
  client.on('end', () => client.destroy())
  proxySockets.add(client as net.Socket)
  client.on('close', () => proxySockets.delete(client as net.Socket))
  const m = mode
  if (m === 403 || m === 502) {
    const body = m === 403 ? 'forbidden by policy' : 'bad gateway'
    client.end(`HTTP/1.1 ${m} ${m === 403 ? 'Forbidden' : 'Bad Gateway'}\r\nx-proxy-reason: test\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
    return
  }
  if (m === 'close') return void client.destroy()
  if (m === 'silent') return
  if (m === 'half-answer') return void client.end('HTTP/1.1 200 Conn')
  const [host, port] = splitAuthority(req.url ?? '')
  const upstream = net.connect(port, host)
  proxySockets.add(upstream)
  upstream.on('close', () => proxySockets.delete(upstream))
  upstream.on('error', () => client.destroy())
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
  upstream.once('connect', () => {
    if (head.length > 0) upstream.write(head)
    if (m === 'tunnel+head') {
      // The first bytes of the target come in the same write as the 200.
      upstream.once('data', (first: Buffer) => {
        client.write(Buffer.concat([Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n'), first]))
        upstream.pipe(client)
        client.pipe(upstream)
      })
      return
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    upstream.pipe(client)
    client.pipe(upstream)
  })
}

function splitAuthority(a: string): [string, number] {
  const i = a.lastIndexOf(':')
  const host = a.slice(0, i)
  return [host.startsWith('[') ? host.slice(1, -1) : host, Number(a.slice(i + 1))]
}

let plainProxy: Started<http.Server>
let tlsProxy: Started<https.Server>
/** https target: an http server on TLS with the test CA's leaf. */
let httpsTarget: Started<https.Server>
/** A TCP target that greets first (bytes right behind the proxy's 200). */
let greeter: Started<net.Server>
const transport = new TcpTransport()

beforeAll(async () => {
  certs = makeCerts()
  plainProxy = await start(http.createServer((_req, res) => res.writeHead(405).end()).on('connect', onConnect))
  tlsProxy = await start(https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (_req, res) => res.writeHead(405).end()).on('connect', onConnect))
  httpsTarget = await start(
    https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert, ALPNProtocols: ['http/1.1'] }, (req, res) => {
      res.setHeader('content-type', 'text/plain')
      res.end(`secure ${req.method} ${req.url} via ${(req.socket as tls.TLSSocket).alpnProtocol}`)
    }),
  )
  greeter = await start(
    net.createServer((s) => {
      s.on('error', () => {})
      s.write('HELLO FROM TARGET\n')
      s.on('data', (d) => s.write(`echo ${d.toString()}`))
    }),
  )
})

afterAll(async () => {
  await Promise.all([plainProxy?.close(), tlsProxy?.close(), httpsTarget?.close(), greeter?.close()])
  await transport.close()
})

const cleanups = useCleanups()

function track<T extends { socket: Duplex }>(c: T): T {
  cleanups.push(() => c.socket.destroy())
  return c
}

/** GET / over an HTTP/1.1 connection on `socket`: the body text. */
async function get(socket: Duplex, authority: string): Promise<string> {
  const conn = new Http1Connection(socket)
  cleanups.push(() => conn.destroy())
  const res = await conn.request({ method: 'GET', path: '/x', authority, scheme: 'https', headers: [], body: null, sockRead: 5000 })
  return Buffer.from(await res.body.readAll()).toString()
}

function readLine(socket: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const onData = (d: Buffer): void => {
      got += d.toString()
      const i = got.indexOf('\n')
      if (i >= 0) {
        socket.off('data', onData)
        socket.pause()
        resolve(got.slice(0, i))
      }
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.resume()
  })
}

async function noProxySocketsLeft(): Promise<void> {
  await until(() => proxySockets.size === 0, 2000)
}

describe('HttpProxy tunnel through a node proxy', () => {
  test('https target: CONNECT host:port, TLS inside the tunnel, a real request', async () => {
    mode = 'tunnel'
    seen.length = 0
    const proxy = new HttpProxy(`http://u%3Ax:p%40ss@127.0.0.1:${plainProxy.port}`)
    const c = track(await proxy.tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: httpsTarget.port, tls: { ca: certs.ca.cert } }))
    expect(c.proxied).toBe(true)
    expect(c.alpn).toBe('http/1.1')
    expect(c.socket).toBeInstanceOf(tls.TLSSocket)
    expect(seen).toEqual([{ url: `localhost:${httpsTarget.port}`, host: `localhost:${httpsTarget.port}`, auth: `Basic ${Buffer.from('u:x:p@ss').toString('base64')}` }])
    expect(await get(c.socket, `localhost:${httpsTarget.port}`)).toBe('secure GET /x via http/1.1')
  })

  test('no credentials → no Proxy-Authorization; an IPv4 target is sent as is', async () => {
    mode = 'tunnel'
    seen.length = 0
    const c = track(await new HttpProxy(`http://127.0.0.1:${plainProxy.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '127.0.0.1', port: greeter.port }))
    expect(seen).toEqual([{ url: `127.0.0.1:${greeter.port}`, host: `127.0.0.1:${greeter.port}`, auth: undefined }])
    expect(c.alpn).toBeNull()
    // Handed over clean: none of the tunnel's (or the HTTP/1.1 connection's) listeners are left.
    const fresh = new net.Socket() // node's own listeners (a net.Socket listens to its 'end')
    for (const e of ['data', 'end', 'error', 'close', 'connect', 'timeout']) expect(c.socket.listenerCount(e), e).toBe(fresh.listenerCount(e))
    fresh.destroy()
    expect(await readLine(c.socket)).toBe('HELLO FROM TARGET')
  })

  test('bytes right behind the 200, in the same write, reach the tunnel user first', async () => {
    mode = 'tunnel+head'
    const c = track(await new HttpProxy(`http://127.0.0.1:${plainProxy.port}`).tunnel(transport).connect({ protocol: 'http:', hostname: '127.0.0.1', port: greeter.port }))
    expect(c.proxied).toBe(true)
    expect(await readLine(c.socket)).toBe('HELLO FROM TARGET')
    c.socket.write('ping\n')
    expect(await readLine(c.socket)).toBe('echo ping')
  })

  test.each([403, 502] as const)('a %d to CONNECT → ProxyError with status and headers, no socket left', async (status) => {
    mode = status
    const err = await new HttpProxy(`http://127.0.0.1:${plainProxy.port}`)
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: 'localhost', port: httpsTarget.port, tls: { ca: certs.ca.cert } })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyError)
    const pe = err as ProxyError
    expect(pe.code).toBe('SONIC_PROXY_ERROR')
    expect(pe.status).toBe(status)
    expect(pe.headers).toBeInstanceOf(HttpHeaders)
    expect(pe.headers!.get('x-proxy-reason')).toBe('test')
    expect(pe.message).toContain(`CONNECT localhost:${httpsTarget.port}`)
    await noProxySocketsLeft()
  })

  test('the proxy closes during CONNECT → ConnectError naming the proxy', async () => {
    for (const m of ['close', 'half-answer'] as const) {
      mode = m
      const err = await new HttpProxy(`http://127.0.0.1:${plainProxy.port}`).tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: 443 }).catch((e: unknown) => e)
      expect(err, m).toBeInstanceOf(ConnectError)
      expect((err as Error).message).toContain(`http://127.0.0.1:${plainProxy.port}`)
    }
    await noProxySocketsLeft()
  })

  test('the proxy never answers → ConnectTimeoutError after timeoutMs', async () => {
    mode = 'silent'
    const began = performance.now()
    const err = await new HttpProxy(`http://127.0.0.1:${plainProxy.port}`)
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: 'localhost', port: 443, timeoutMs: 150 })
      .catch((e: unknown) => e)
    const took = performance.now() - began
    expect(err).toBeInstanceOf(ConnectTimeoutError)
    expect((err as ConnectTimeoutError).timeout).toBe(150)
    expect(took).toBeGreaterThanOrEqual(140)
    expect(took).toBeLessThan(1500)
    await noProxySocketsLeft()
  })

  test('aborting while the proxy says nothing → AbortError; an aborted signal dials nothing', async () => {
    mode = 'silent'
    const ac = new AbortController()
    const attempt = new HttpProxy(`http://127.0.0.1:${plainProxy.port}`).tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: 443 }, ac.signal)
    await until(() => proxySockets.size > 0)
    ac.abort(new Error('stop'))
    const err = await attempt.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).name).toBe('AbortError')
    await noProxySocketsLeft()

    const before = plainProxy.sockets.length
    await expect(
      new HttpProxy(`http://127.0.0.1:${plainProxy.port}`).tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: 443 }, AbortSignal.abort()),
    ).rejects.toBeInstanceOf(AbortError)
    expect(plainProxy.sockets.length).toBe(before)
  })

  test('the proxy down → the inner transport’s ConnectError naming the proxy address', async () => {
    const port = await freePort()
    const err = await new HttpProxy(`http://127.0.0.1:${port}`).tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: 443 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).message).toContain(`127.0.0.1:${port}`)
  })

  test('an https:// proxy: TLS to the proxy, then TLS to the target inside it', async () => {
    mode = 'tunnel'
    seen.length = 0
    const proxy = new HttpProxy(`https://localhost:${tlsProxy.port}`, { tls: { ca: certs.ca.cert }, auth: 'a:b' })
    const c = track(await proxy.tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: httpsTarget.port, tls: { ca: certs.ca.cert }, alpn: ['h2', 'http/1.1'] }))
    expect(c.proxied).toBe(true)
    expect(c.alpn).toBe('http/1.1')
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from('a:b').toString('base64')}`)
    expect(await get(c.socket, `localhost:${httpsTarget.port}`)).toBe('secure GET /x via http/1.1')
  })

  test('an https:// proxy with an untrusted certificate → ConnectError, nothing sent', async () => {
    seen.length = 0
    const err = await new HttpProxy(`https://localhost:${tlsProxy.port}`).tunnel(transport).connect({ protocol: 'https:', hostname: 'localhost', port: httpsTarget.port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect(seen).toEqual([])
  })

  test('one timeoutMs covers the TLS handshake with the target inside the tunnel', async () => {
    // A target that accepts TCP and never answers the ClientHello.
    const mute = await start(net.createServer((s) => s.on('error', () => {})))
    cleanups.push(() => mute.close())
    mode = 'tunnel'
    const err = await new HttpProxy(`http://127.0.0.1:${plainProxy.port}`)
      .tunnel(transport)
      .connect({ protocol: 'https:', hostname: 'localhost', port: mute.port, timeoutMs: 200 })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectTimeoutError)
    await noProxySocketsLeft()
  })

  test('many tunnels, opened and closed, leave no socket behind', async () => {
    mode = 'tunnel'
    const t: Transport = new HttpProxy(`http://127.0.0.1:${plainProxy.port}`).tunnel(transport)
    for (let round = 0; round < 10; round++) {
      const all = await Promise.all(Array.from({ length: 10 }, () => t.connect({ protocol: 'http:', hostname: '127.0.0.1', port: greeter.port })))
      await Promise.all(all.map((c) => readLine(c.socket)))
      for (const c of all) c.socket.destroy()
    }
    await sleep(10)
    await noProxySocketsLeft()
  })
})
