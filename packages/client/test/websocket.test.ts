// HTTPClient.wsConnect against real `ws` servers: it uses the client's transport, default
// headers, cookie jar (cookies out with the handshake, the 101's Set-Cookie in), TLS settings
// (verifySsl, per-call tls), proxy (tinyproxy's CONNECT when installed) and baseUrl.
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { sep } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { NET_HANDLES, createLeakCheck, hasCommand, makeCerts, type Daemon, type TestCerts } from '@sonic/test-utils'
// The websocket package's fixtures: a `ws` server (ws is its devDependency) and tinyproxy.
import { WebSocketServer, echo, startTinyproxy } from '../../websocket/test/helpers.js'
import { Agent, ClientClosedError, HTTPClient, TcpTransport, WebSocketClient, isSonicError, type Transport } from '../src/index.js'

const leaks = createLeakCheck({
  ours: (stack) => stack.includes(`client${sep}src${sep}`) || stack.includes(`websocket${sep}dist${sep}`),
  handles: NET_HANDLES,
})
const cleanups = leaks.useCleanups()

interface Site {
  url: string
  port: number
  /** Headers of each upgrade request. */
  upgrades: http.IncomingHttpHeaders[]
  /** By path: called with the close code the server sees for the WebSocket opened on that path. */
  closes: Map<string, (code: number) => void>
  close(): Promise<void>
}

/** An HTTP(S) server that sets a cookie on GET /login and speaks WebSocket (echo) on any path; the 101 sets `ws_cookie`. */
async function site(tls?: { key: string; cert: string }): Promise<Site> {
  const handler: http.RequestListener = (req, res) => {
    if (req.url === '/login') res.setHeader('set-cookie', 'sid=from-http; Path=/')
    res.end(`cookie=${req.headers.cookie ?? ''}`)
  }
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler)
  const wss = new WebSocketServer({ server })
  const upgrades: http.IncomingHttpHeaders[] = []
  wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
    upgrades.push(req.headers)
    headers.push('Set-Cookie: ws_cookie=from-101; Path=/')
  })
  const closes = new Map<string, (code: number) => void>()
  wss.on('connection', (ws, req: http.IncomingMessage) => {
    echo(ws)
    ws.on('close', (code: number) => closes.get(req.url ?? '')?.(code))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}`,
    port,
    upgrades,
    closes,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      await new Promise((r) => wss.close(r))
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

describe('HTTPClient.wsConnect', () => {
  let plain: Site
  let secure: Site
  let certs: TestCerts
  beforeAll(async () => {
    certs = makeCerts()
    plain = await site()
    secure = await site({ key: certs.leaf.key, cert: certs.leaf.cert })
  })
  afterAll(async () => {
    await plain.close()
    await secure.close()
  })

  function client(opts: ConstructorParameters<typeof HTTPClient>[0] = {}): HTTPClient {
    const c = new HTTPClient(opts)
    cleanups.push(() => c.close())
    return c
  }

  test("uses the client's transport (the connector's) and echoes", async () => {
    const tcp = new TcpTransport()
    let connects = 0
    const counting: Transport = {
      connect: (target, signal) => {
        connects++
        return tcp.connect(target, signal)
      },
      close: () => tcp.close(),
    }
    const c = client({ connector: new Agent({ transport: counting }) })
    cleanups.push(() => tcp.close())
    const ws = await c.wsConnect(`${plain.url}/echo`)
    cleanups.push(() => ws.close())
    expect(ws).toBeInstanceOf(WebSocketClient)
    await ws.sendStr('through the agent')
    expect(await ws.receiveStr()).toBe('through the agent')
    expect(connects).toBe(1)
  })

  test('default headers go with the handshake (not accept-encoding); per-call headers win', async () => {
    const c = client({ headers: { 'x-default': 'd', 'x-over': 'client' } })
    const ws = await c.wsConnect(`${plain.url}/h`, { headers: { 'x-over': 'call' } })
    cleanups.push(() => ws.close())
    const h = plain.upgrades.at(-1)!
    expect(h['x-default']).toBe('d')
    expect(h['x-over']).toBe('call')
    expect(h['user-agent']).toMatch(/^sonic/)
    expect(h['accept-encoding']).toBeUndefined()
  })

  test("cookies: the jar's cookies are sent; the 101's Set-Cookie is kept", async () => {
    const c = client({ handleCookies: true })
    await (await c.get(`http://127.0.0.1:${plain.port}/login`)).text()
    const ws = await c.wsConnect(`${plain.url}/with-cookies`)
    cleanups.push(() => ws.close())
    expect(plain.upgrades.at(-1)!.cookie).toBe('sid=from-http')
    const after = await (await c.get(`http://127.0.0.1:${plain.port}/`)).text()
    expect(after).toMatch(/ws_cookie=from-101/)
    expect(after).toMatch(/sid=from-http/)
  })

  test('TLS: verifySsl false reaches a server of an unknown CA, the default refuses it, per-call tls trusts it', async () => {
    const strict = client()
    const err = await strict.wsConnect(`${secure.url}/`).catch((e: unknown) => e)
    expect(isSonicError(err)).toBe(true)
    const trusting = await strict.wsConnect(`wss://localhost:${secure.port}/`, { tls: { ca: certs.ca.cert } })
    cleanups.push(() => trusting.close())
    await trusting.sendStr('ca')
    expect(await trusting.receiveStr()).toBe('ca')
    const lax = client({ verifySsl: false })
    const ws = await lax.wsConnect(`${secure.url}/`)
    cleanups.push(() => ws.close())
    await ws.sendStr('lax')
    expect(await ws.receiveStr()).toBe('lax')
  })

  test('client.close() closes the WebSockets it opened with 1001 (going away)', async () => {
    const c = client()
    // The server's view of the close of the socket left open.
    const seen = new Promise<number>((resolve) => plain.closes.set('/left-open', resolve))
    const a = await c.wsConnect(`${plain.url}/left-open`)
    const b = await c.wsConnect(`${plain.url}/closed-first`)
    await b.close()
    await c.close()
    expect(a.closed).toBe(true)
    expect(a.closeCode).toBe(1001)
    expect(await seen).toBe(1001)
    plain.closes.delete('/left-open')
    await expect(a.sendStr('late')).rejects.toSatisfy(isSonicError)
  })

  test('baseUrl resolves a relative URL; a closed client → ClientClosedError', async () => {
    const c = client({ baseUrl: `http://127.0.0.1:${plain.port}/api/` })
    const ws = await c.wsConnect('stream')
    cleanups.push(() => ws.close())
    expect(ws.url).toBe(`http://127.0.0.1:${plain.port}/api/stream`)
    await c.close()
    await expect(c.wsConnect(`${plain.url}/`)).rejects.toBeInstanceOf(ClientClosedError)
  })

  describe.skipIf(!hasCommand('tinyproxy'))('through tinyproxy', () => {
    let tinyproxy: Daemon
    beforeAll(async () => {
      tinyproxy = await startTinyproxy()
    })
    afterAll(() => tinyproxy?.stop())
    const connects = (): number => (tinyproxy.output().match(/Request \(file descriptor \d+\): CONNECT /g) ?? []).length

    test("the client's proxy option: ws:// and wss:// go through CONNECT; proxy: null per call goes direct", async () => {
      const c = client({ proxy: `http://127.0.0.1:${tinyproxy.port}`, verifySsl: false })
      const before = connects()
      const ws = await c.wsConnect(`${plain.url}/p`)
      cleanups.push(() => ws.close())
      await ws.sendStr('proxied')
      expect(await ws.receiveStr()).toBe('proxied')
      const wss = await c.wsConnect(`${secure.url}/p`)
      cleanups.push(() => wss.close())
      await wss.sendStr('proxied tls')
      expect(await wss.receiveStr()).toBe('proxied tls')
      expect(connects()).toBe(before + 2)
      const direct = await c.wsConnect(`${plain.url}/d`, { proxy: null })
      cleanups.push(() => direct.close())
      expect(connects()).toBe(before + 2)
    })
  })
})
