// HTTPClient through proxies: a forward/CONNECT proxy of our own on loopback (node's http server,
// counting what it sees) and, when installed, tinyproxy and microsocks (.ci/run installs them).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from 'tough-cookie'
import { Agent, ConnectError, HTTPClient, HttpProxy, MultipartForm, ProxyError, SocksProxy, SSEClient } from '../src/index.js'
import { activeNetAndTimers, httpServer, httpsServer, readBody, selfSigned, sleep, useCleanups, type Running } from './helpers.js'

const using = useCleanups()

interface ProxyLog {
  absolute: string[]
  connects: string[]
  auth: (string | undefined)[]
  connections: number
}

/** A forward proxy: absolute-form requests are forwarded, CONNECT opens a tunnel; `auth` demands Basic credentials. */
async function forwardProxy(auth: string | null = null): Promise<Running<http.Server> & { log: ProxyLog }> {
  const log: ProxyLog = { absolute: [], connects: [], auth: [], connections: 0 }
  const expected = auth === null ? null : 'Basic ' + Buffer.from(auth).toString('base64')
  const srv = await httpServer((req, res) => {
    log.absolute.push(String(req.url))
    log.auth.push(req.headers['proxy-authorization'])
    if (expected !== null && req.headers['proxy-authorization'] !== expected) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' })
      res.end('auth needed')
      return
    }
    const target = new URL(String(req.url))
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    const up = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  srv.server.on('connection', () => log.connections++)
  srv.server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    log.connects.push(String(req.url))
    log.auth.push(req.headers['proxy-authorization'])
    if (expected !== null && req.headers['proxy-authorization'] !== expected) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const [host, port] = String(req.url).split(':')
    const up = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n')
      if (head.length > 0) up.write(head)
      up.pipe(socket)
      socket.pipe(up)
    })
    up.on('error', () => socket.destroy())
    socket.on('error', () => up.destroy())
  })
  return { ...srv, log }
}

/** A target that says what it saw. */
async function echoTarget() {
  return httpServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, host: req.headers.host, proxyAuth: req.headers['proxy-authorization'] ?? null }))
  })
}

describe('HTTP proxy', () => {
  it('http:// targets go in absolute form over pooled proxy connections shared across hosts; credentials never reach the target', async () => {
    const proxy = using(await forwardProxy('u:p'))
    const a = using(await echoTarget())
    const b = using(await echoTarget())
    const c = using(new HTTPClient({ proxy: `http://u:p@127.0.0.1:${proxy.port}` }))
    const seenA = (await (await c.get(`${a.url}/x?q=1`)).json()) as { url: string; proxyAuth: string | null }
    const seenB = (await (await c.get(`${b.url}/y`)).json()) as { url: string; host: string }
    expect(seenA).toMatchObject({ url: '/x?q=1', proxyAuth: null })
    expect(seenB.host).toBe(`127.0.0.1:${b.port}`)
    expect(proxy.log.absolute).toEqual([`${a.url}/x?q=1`, `${b.url}/y`])
    expect(proxy.log.auth).toEqual(['Basic ' + Buffer.from('u:p').toString('base64'), 'Basic ' + Buffer.from('u:p').toString('base64')])
    // One kept-alive connection to the proxy served both target hosts.
    expect(proxy.log.connections).toBe(1)
  })

  it('https:// targets go through CONNECT, then TLS to the target (its own CA)', async () => {
    const proxy = using(await forwardProxy())
    const { cert } = selfSigned()
    const target = using(await httpsServer((req, res) => res.end(`secure ${req.url}`)))
    const c = using(new HTTPClient({ proxy: new HttpProxy(`http://127.0.0.1:${proxy.port}`) }))
    const res = await c.get(`${target.url}/s`, { tls: { ca: cert } })
    expect(await res.text()).toBe('secure /s')
    expect(proxy.log.connects).toEqual([`127.0.0.1:${target.port}`])
    expect(proxy.log.absolute).toEqual([])
    // The tunnel is a kept-alive connection: a second request reuses it.
    expect(await (await c.get(`${target.url}/t`, { tls: { ca: cert } })).text()).toBe('secure /t')
    expect(proxy.log.connects).toHaveLength(1)
  })

  it('a 407 is a ProxyError with status and headers, for absolute-form requests and for CONNECT', async () => {
    const proxy = using(await forwardProxy('u:right'))
    const target = using(await echoTarget())
    const tls = using(await httpsServer((_q, r) => r.end('no')))
    const c = using(new HTTPClient({ proxy: `http://u:wrong@127.0.0.1:${proxy.port}` }))
    const e1 = (await c.get(target.url).catch((e: unknown) => e)) as ProxyError
    expect(e1).toBeInstanceOf(ProxyError)
    expect(e1.status).toBe(407)
    expect(e1.headers?.get('proxy-authenticate')).toBe('Basic realm="test"')
    const e2 = (await c.get(tls.url, { verify: false }).catch((e: unknown) => e)) as ProxyError
    expect(e2).toBeInstanceOf(ProxyError)
    expect(e2.status).toBe(407)
    expect(e2.url).toBe(`${tls.url}/`)
  })

  it('the request\'s proxy wins; proxied and direct connections never share a pool', async () => {
    const proxy = using(await forwardProxy())
    const target = using(await echoTarget())
    const agent = new Agent()
    const c = using(new HTTPClient({ dispatcher: agent, proxy: `http://127.0.0.1:${proxy.port}` }))
    await (await c.get(target.url)).text()
    await (await c.get(target.url, { proxy: null })).text()
    await (await c.get(target.url)).text()
    expect(proxy.log.absolute).toHaveLength(2)
    expect(agent.stats.pools).toBe(2)
  })

  it("proxy: 'env' reads HTTP_PROXY and NO_PROXY when the client is made", async () => {
    const proxy = using(await forwardProxy())
    const target = using(await echoTarget())
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy }
    try {
      delete process.env.http_proxy
      delete process.env.no_proxy
      process.env.HTTP_PROXY = `http://127.0.0.1:${proxy.port}`
      process.env.NO_PROXY = 'localhost'
      const c = using(new HTTPClient({ proxy: 'env' }))
      await (await c.get(`${target.url}/via`)).text()
      await (await c.get(`http://localhost:${target.port}/direct`)).text()
      expect(proxy.log.absolute).toEqual([`${target.url}/via`])
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })

  it('redirects are followed through the proxy', async () => {
    const proxy = using(await forwardProxy())
    const target = using(await httpServer((req, res) => {
      if (req.url === '/from') {
        res.writeHead(302, { location: '/to' })
        res.end()
      } else res.end(`at ${req.url}`)
    }))
    const c = using(new HTTPClient({ proxy: `http://127.0.0.1:${proxy.port}` }))
    const res = await c.get(`${target.url}/from`, { follow: true })
    expect(await res.text()).toBe('at /to')
    expect(proxy.log.absolute).toEqual([`${target.url}/from`, `${target.url}/to`])
  })
})

describe('through a proxy, everything else still works', () => {
  it('the proxy down is a ConnectError naming the proxy, not the target', async () => {
    const probe = await httpServer((_q, r) => r.end())
    const port = probe.port
    await probe.close()
    const target = using(await echoTarget())
    const c = using(new HTTPClient({ proxy: `http://127.0.0.1:${port}` }))
    const err = (await c.get(target.url).catch((e: unknown) => e)) as ConnectError
    expect(err).toBeInstanceOf(ConnectError)
    expect(err.message).toContain(`127.0.0.1:${port}`)
    const tls = (await c.get(`https://127.0.0.1:${target.port}/`).catch((e: unknown) => e)) as ConnectError
    expect(tls).toBeInstanceOf(ConnectError)
    expect(tls.message).toContain(`127.0.0.1:${port}`)
  })

  it('cookies, a multipart upload and server-sent events go through the proxy', async () => {
    const proxy = using(await forwardProxy())
    const target = using(await httpServer(async (req, res) => {
      if (req.url === '/login') {
        res.setHeader('set-cookie', 'sid=abc; Path=/')
        res.end('in')
      } else if (req.url === '/me') {
        res.end(String(req.headers.cookie))
      } else if (req.url === '/upload') {
        const body = (await readBody(req)).toString('latin1')
        res.end(`${req.headers['content-type']?.split(';')[0]} ${body.includes('hello file') ? 'has-file' : 'no-file'}`)
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write('data: one\n\n')
        await sleep(5)
        res.end('data: two\n\n')
      }
    }))
    const c = using(new HTTPClient({ proxy: `http://127.0.0.1:${proxy.port}`, cookieJar: new CookieJar() }))
    await (await c.get(`${target.url}/login`)).text()
    expect(await (await c.get(`${target.url}/me`)).text()).toBe('sid=abc')
    const form = new MultipartForm().addField('note', 'x').addField('file', Buffer.from('hello file'), { filename: 'a.txt' })
    expect(await (await c.post(`${target.url}/upload`, { data: form })).text()).toBe('multipart/form-data has-file')
    const events: string[] = []
    for await (const ev of await new SSEClient(c).connect(`${target.url}/events`, { reconnect: false })) events.push(ev.data)
    expect(events).toEqual(['one', 'two'])
    expect(proxy.log.absolute.map((u) => new URL(u).pathname)).toEqual(['/login', '/me', '/upload', '/events'])
  })

  it('1,000 requests through the proxy (forward and CONNECT) leave no socket or timer behind', async () => {
    const proxy = await forwardProxy()
    const target = await echoTarget()
    const { cert } = selfSigned()
    const secure = await httpsServer((_q, r) => r.end('s'))
    const before = activeNetAndTimers().length
    const c = new HTTPClient({ proxy: `http://127.0.0.1:${proxy.port}` })
    let ok = 0
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 100; i++) {
          const res = w % 2 === 0 ? await c.get(`${target.url}/${i}`) : await c.get(`${secure.url}/${i}`, { tls: { ca: cert } })
          await res.text()
          ok++
        }
      }),
    )
    await c.close()
    await Promise.all([proxy.close(), target.close(), secure.close()])
    await sleep(20)
    expect(ok).toBe(1000)
    expect(activeNetAndTimers().length).toBeLessThanOrEqual(before)
  }, 60000)
})

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing listens on ${port}`)
}

describe.skipIf(!which('microsocks'))('SOCKS5 proxy (microsocks)', () => {
  let child: ChildProcess
  let port = 0
  beforeAll(async () => {
    port = await freePort()
    child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
    await waitForPort(port)
  })
  afterAll(() => {
    child.kill()
  })

  it('http and https targets through socks5 and socks5h', async () => {
    const target = using(await echoTarget())
    const { cert } = selfSigned()
    const secure = using(await httpsServer((req, res) => res.end(`secure ${req.url}`)))
    const c = using(new HTTPClient({ proxy: new SocksProxy(`socks5://127.0.0.1:${port}`) }))
    expect(((await (await c.get(`${target.url}/p`)).json()) as { url: string }).url).toBe('/p')
    expect(await (await c.get(`${secure.url}/q`, { tls: { ca: cert } })).text()).toBe('secure /q')
    const h = using(new HTTPClient({ proxy: `socks5h://127.0.0.1:${port}` }))
    expect(((await (await h.get(`${target.url}/remote-dns`)).json()) as { url: string }).url).toBe('/remote-dns')
  })
})

describe('every proxy kind carries redirects, cookies, a multipart upload and SSE', () => {
  async function app(secure: boolean) {
    const handler: http.RequestListener = async (req, res) => {
      if (req.url === '/login') {
        res.writeHead(302, { location: '/me', 'set-cookie': 'sid=k1; Path=/' })
        res.end()
      } else if (req.url === '/me') {
        res.end(`cookie ${String(req.headers.cookie)}`)
      } else if (req.url === '/upload') {
        const body = (await readBody(req)).toString('latin1')
        res.end(body.includes('file bytes') ? 'uploaded' : 'missing')
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write('data: a\n\n')
        await sleep(5)
        res.end('data: b\n\n')
      }
    }
    return secure ? httpsServer(handler) : httpServer(handler)
  }

  async function exercise(proxyUrl: string, base: string, tls?: { ca: string }) {
    const c = using(new HTTPClient({ proxy: proxyUrl, handleCookies: true }))
    const opts = tls === undefined ? {} : { tls }
    expect(await (await c.get(`${base}/login`, { ...opts, follow: true })).text()).toBe('cookie sid=k1')
    const form = new MultipartForm().addField('f', Buffer.from('file bytes'), { filename: 'f.bin' })
    expect(await (await c.post(`${base}/upload`, { ...opts, data: form })).text()).toBe('uploaded')
    // SSEClient's options carry no TLS settings: over https its client skips verification.
    const sseClient = tls === undefined ? c : using(new HTTPClient({ proxy: proxyUrl, verifySsl: false }))
    const events: string[] = []
    for await (const ev of await new SSEClient(sseClient).connect(`${base}/events`, { reconnect: false })) events.push(ev.data)
    expect(events).toEqual(['a', 'b'])
  }

  it('HTTP proxy, absolute form (http target)', async () => {
    const proxy = using(await forwardProxy())
    const target = using(await app(false))
    await exercise(`http://127.0.0.1:${proxy.port}`, target.url)
    expect(proxy.log.absolute.length).toBeGreaterThanOrEqual(4)
  })

  it('HTTP proxy, CONNECT tunnel (https target)', async () => {
    const proxy = using(await forwardProxy())
    const target = using(await app(true))
    await exercise(`http://127.0.0.1:${proxy.port}`, target.url, { ca: selfSigned().cert })
    expect(proxy.log.connects.length).toBeGreaterThanOrEqual(1)
    expect(proxy.log.absolute).toEqual([])
  })

  it.skipIf(!which('microsocks'))('SOCKS5 (microsocks), http and https targets', async () => {
    const port = await freePort()
    const child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
    try {
      await waitForPort(port)
      const plain = using(await app(false))
      const secure = using(await app(true))
      await exercise(`socks5://127.0.0.1:${port}`, plain.url)
      await exercise(`socks5://127.0.0.1:${port}`, secure.url, { ca: selfSigned().cert })
    } finally {
      child.kill()
    }
  })
})
