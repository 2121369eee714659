// Redirects, cookies, TLS control, auth, progress, 100-continue, compression, unix sockets.
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, inflateSync } from 'node:zlib'
import { CookieJar } from 'tough-cookie'
import { describe, expect, it } from 'vitest'
import {
  ConnectError,
  FingerprintMismatchError,
  HTTPClient,
  InvalidArgumentError,
  MaxRedirectsError,
  RequestTimeoutError,
  TCPConnector,
  UnixConnector,
} from '../src/index.js'
import { httpServer, httpsServer, readBody, selfSigned, sleep, useCleanups } from './helpers.js'

const using = useCleanups()

/** A real Resolver that answers 127.0.0.1 for every name (the cookie tests need distinct host names). */
const loopbackResolver = {
  async resolve(hostname: string, port = 0) {
    return [{ hostname, host: '127.0.0.1', port, family: 4 as const }]
  },
  async close() {},
}

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

async function redirectServer() {
  const seen: Seen[] = []
  const srv = using(
    await httpServer(async (req, res) => {
      const body = (await readBody(req)).toString()
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      const u = new URL(req.url!, 'http://x')
      const to = u.searchParams.get('to')
      const code = Number(u.searchParams.get('code') ?? 302)
      if (u.pathname === '/r' && to) {
        res.statusCode = code
        res.setHeader('location', to)
        res.end('redirect body that must be drained')
        return
      }
      if (u.pathname === '/loop') {
        res.statusCode = 302
        res.setHeader('location', '/loop')
        res.end()
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, body, url: req.url }))
    }),
  )
  return { srv, seen }
}

describe('redirects', () => {
  it('follows relative and absolute Location, with history and final url', async () => {
    const { srv } = await redirectServer()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const res = await c.get('/r?to=' + encodeURIComponent(`/r?to=${encodeURIComponent(srv.url + '/final')}`), { follow: true })
    expect(res.status).toBe(200)
    expect(res.url).toBe(srv.url + '/final')
    expect(res.history.map((h) => h.status)).toEqual([302, 302])
    expect(((await res.json()) as { url: string }).url).toBe('/final')
  })

  it('does not follow by default', async () => {
    const { srv } = await redirectServer()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const res = await c.get('/r?to=/final')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/final')
    await res.release()
  })

  it('303 → GET without body; 301/302 after POST → GET; 307/308 keep method and body', async () => {
    const { srv, seen } = await redirectServer()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    for (const [code, method, bodyKept] of [
      [303, 'GET', false],
      [301, 'GET', false],
      [302, 'GET', false],
      [307, 'POST', true],
      [308, 'POST', true],
    ] as const) {
      seen.length = 0
      const res = await c.post(`/r?code=${code}&to=/final`, { data: 'payload', follow: true })
      const j = (await res.json()) as { method: string; body: string }
      expect(j.method).toBe(method)
      expect(j.body).toBe(bodyKept ? 'payload' : '')
      const last = seen.at(-1)!
      expect(last.headers['content-type'] === undefined).toBe(!bodyKept)
    }
    const put = await c.put('/r?code=303&to=/final', { data: 'x', follow: true })
    expect(((await put.json()) as { method: string }).method).toBe('GET')
  })

  it('307 with a one-shot stream body → clear InvalidArgumentError', async () => {
    const { srv } = await redirectServer()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    async function* once() {
      yield 'data'
    }
    await expect(c.post('/r?code=307&to=/final', { data: once(), follow: true })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('more than maxRedirects → MaxRedirectsError', async () => {
    const { srv } = await redirectServer()
    const c = using(new HTTPClient({ baseUrl: srv.url, maxRedirects: 3 }))
    const err = await c.get('/loop', { follow: true }).catch((e) => e)
    expect(err).toBeInstanceOf(MaxRedirectsError)
    expect(err.code).toBe('SONIC_MAX_REDIRECTS')
    await expect(c.get('/loop', { follow: true, maxRedirects: 0 })).rejects.toBeInstanceOf(MaxRedirectsError)
  })

  it('drops Authorization, Cookie and Proxy-Authorization on a cross-origin hop, keeps them same-origin', async () => {
    const a = await redirectServer()
    const b = await redirectServer()
    const c = using(new HTTPClient())
    const headers = { authorization: 'Bearer secret', cookie: 'sid=1', 'proxy-authorization': 'Basic x', 'x-keep': 'yes' }
    await (await c.get(`${a.srv.url}/r?to=${encodeURIComponent(b.srv.url + '/final')}`, { headers, follow: true })).bytes()
    const hop = b.seen.at(-1)!.headers
    expect(hop.authorization).toBeUndefined()
    expect(hop.cookie).toBeUndefined()
    expect(hop['proxy-authorization']).toBeUndefined()
    expect(hop['x-keep']).toBe('yes')
    await (await c.get(`${a.srv.url}/r?to=/final`, { headers, follow: true })).bytes()
    expect(a.seen.at(-1)!.headers.authorization).toBe('Bearer secret')
    // the same server under another name (localhost vs 127.0.0.1) is another origin
    await (await c.get(`${a.srv.url}/r?to=${encodeURIComponent(`http://localhost:${a.srv.port}/final`)}`, { auth: 'u:p', follow: true })).bytes()
    expect(a.seen.at(-1)!.headers.authorization).toBeUndefined()
  })

  it('drops credentials on an https → http downgrade', async () => {
    const plain = await redirectServer()
    const tls = using(
      await httpsServer((req, res) => {
        res.statusCode = 302
        res.setHeader('location', plain.srv.url + '/final')
        res.end()
      }),
    )
    const c = using(new HTTPClient({ verifySsl: false }))
    await (await c.get(tls.url + '/', { auth: 'u:p', follow: true })).bytes()
    expect(plain.seen.at(-1)!.headers.authorization).toBeUndefined()
  })

  it('requestTimeout covers the whole chain', async () => {
    const srv = using(
      await httpServer((req, res) => {
        setTimeout(() => {
          res.statusCode = 302
          res.setHeader('location', '/again')
          res.end()
        }, 60)
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url, maxRedirects: 50 }))
    await expect(c.get('/', { follow: true, timeouts: { requestTimeout: 200 } })).rejects.toBeInstanceOf(RequestTimeoutError)
  })
})

describe('cookies', () => {
  it('handleCookies keeps cookies by path and sends them back; expiry removes them', async () => {
    const seen: Record<string, string | undefined> = {}
    const srv = using(
      await httpServer((req, res) => {
        seen[req.url!] = req.headers.cookie
        if (req.url === '/set') {
          res.setHeader('set-cookie', [
            'root=1; Path=/',
            'scoped=2; Path=/api',
            'secure=3; Path=/; Secure',
            'gone=4; Path=/; Max-Age=0',
            'http=5; Path=/; HttpOnly',
          ])
        }
        res.end('ok')
      }),
    )
    // Not localhost: tough-cookie treats localhost as a secure context (as browsers do) and would
    // send Secure cookies over http there. DNS maps app.test to 127.0.0.1.
    const c = using(new HTTPClient({ baseUrl: `http://app.test:${srv.port}`, handleCookies: true, connector: new TCPConnector({ resolver: loopbackResolver }) }))
    await (await c.get('/set')).bytes()
    await (await c.get('/other')).bytes()
    await (await c.get('/api/x')).bytes()
    expect(seen['/other']).toBe('root=1; http=5')
    expect(seen['/api/x']).toBe('scoped=2; root=1; http=5')
    expect(seen['/other']).not.toContain('secure=3') // Secure cookies never go over http
  })

  it('without handleCookies nothing is stored', async () => {
    const seen: (string | undefined)[] = []
    const srv = using(
      await httpServer((req, res) => {
        seen.push(req.headers.cookie)
        res.setHeader('set-cookie', 'a=1')
        res.end()
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    await (await c.get('/')).bytes()
    await (await c.get('/')).bytes()
    expect(seen).toEqual([undefined, undefined])
  })

  it('cookies set during a redirect chain are sent on the next hop; a given jar is used', async () => {
    let hopCookie: string | undefined
    const srv = using(
      await httpServer((req, res) => {
        if (req.url === '/login') {
          res.statusCode = 302
          res.setHeader('set-cookie', 'session=abc; Path=/')
          res.setHeader('location', '/home')
        } else hopCookie = req.headers.cookie
        res.end()
      }),
    )
    const jar = new CookieJar()
    const c = using(new HTTPClient({ baseUrl: `http://localhost:${srv.port}`, cookieJar: jar }))
    await (await c.get('/login', { follow: true })).bytes()
    expect(hopCookie).toBe('session=abc')
    expect(await jar.getCookieString(`http://localhost:${srv.port}/`)).toBe('session=abc')
  })

  it('domain cookies reach subdomains (host-only ones do not)', async () => {
    // One server; the client names it differently through the URL host, DNS maps every name to 127.0.0.1.
    const seen: Record<string, string | undefined> = {}
    const srv = using(
      await httpServer((req, res) => {
        seen[req.headers.host!.split(':')[0]!] = req.headers.cookie
        if (req.url === '/set') res.setHeader('set-cookie', ['dom=1; Domain=example.test; Path=/', 'host=2; Path=/'])
        res.end()
      }),
    )
    const c = using(new HTTPClient({ handleCookies: true, connector: new TCPConnector({ resolver: loopbackResolver }) }))
    await (await c.get(`http://example.test:${srv.port}/set`)).bytes()
    await (await c.get(`http://api.example.test:${srv.port}/`)).bytes()
    expect(seen['api.example.test']).toBe('dom=1')
  })
})

describe('TLS', () => {
  it('rejects a self-signed server by default → ConnectError; verifySsl false and verify false accept it', async () => {
    const srv = using(await httpsServer((_q, r) => r.end('secure')))
    const strict = using(new HTTPClient())
    const err = await strict.get(srv.url).catch((e) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect(await (await strict.get(srv.url, { verify: false })).text()).toBe('secure')
    const lax = using(new HTTPClient({ verifySsl: false }))
    expect(await (await lax.get(srv.url)).text()).toBe('secure')
  })

  it('a custom CA makes the certificate trusted', async () => {
    const srv = using(await httpsServer((_q, r) => r.end('ca ok')))
    const c = using(new HTTPClient())
    expect(await (await c.get(srv.url, { tls: { ca: selfSigned().cert } })).text()).toBe('ca ok')
  })

  it('fingerprint pinning: match works, mismatch fails before any request byte is sent', async () => {
    let requests = 0
    const srv = using(
      await httpsServer((_q, r) => {
        requests++
        r.end('pinned')
      }),
    )
    const c = using(new HTTPClient({ verifySsl: false }))
    expect(await (await c.get(srv.url, { fingerprint: selfSigned().fingerprint })).text()).toBe('pinned')
    expect(requests).toBe(1)
    const err = await c.get(srv.url, { fingerprint: 'ab'.repeat(32) }).catch((e) => e)
    expect(err).toBeInstanceOf(FingerprintMismatchError)
    await sleep(30)
    expect(requests).toBe(1)
  })

  it('TLS sessions are resumed on new connections to the same origin', async () => {
    const reused: boolean[] = []
    const srv = using(
      await httpsServer((req, r) => {
        reused.push((req.socket as import('node:tls').TLSSocket).isSessionReused())
        r.setHeader('connection', 'close') // every request needs a new connection
        r.end('x')
      }),
    )
    const c = using(new HTTPClient({ verifySsl: false }))
    for (let i = 0; i < 3; i++) {
      await (await c.get(srv.url)).text()
      await sleep(20) // let the session ticket arrive
    }
    expect(reused[0]).toBe(false)
    expect(reused.slice(1)).toEqual([true, true])
  })

  it('client certificates are sent', async () => {
    const { cert, key } = selfSigned()
    const srv = using(
      await httpsServer(
        (req, r) => {
          const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
          r.end(peer.subject?.CN ?? 'none')
        },
        { requestCert: true, rejectUnauthorized: false },
      ),
    )
    const c = using(new HTTPClient({ verifySsl: false }))
    expect(await (await c.get(srv.url, { tls: { cert, key } })).text()).toBe('localhost')
  })
})

describe('progress, 100-continue, compression', () => {
  it('upload and download progress report as bytes move, ending at the totals', async () => {
    const size = 2 * 1024 * 1024
    const srv = using(
      await httpServer(async (req, res) => {
        await readBody(req)
        res.setHeader('content-length', String(size))
        res.end(Buffer.alloc(size, 7))
      }),
    )
    const c = using(new HTTPClient())
    const up: { loaded: number; total?: number }[] = []
    const down: { loaded: number; total?: number }[] = []
    const res = await c.post(srv.url, {
      data: new Uint8Array(size),
      onUploadProgress: (p) => up.push({ ...p }),
      onDownloadProgress: (p) => down.push({ ...p }),
    })
    expect((await res.bytes()).length).toBe(size)
    expect(up.at(-1)).toEqual({ loaded: size, total: size })
    expect(down.at(-1)).toEqual({ loaded: size, total: size })
    expect(down.length).toBeGreaterThan(1)
    for (let i = 1; i < down.length; i++) expect(down[i]!.loaded).toBeGreaterThan(down[i - 1]!.loaded)
  })

  it('expect100 waits for 100 Continue, and skips the body on a final answer', async () => {
    const bodies: string[] = []
    const srv = using(await httpServer((_q, r) => r.end('unused')))
    srv.server.on('checkContinue', async (req, res) => {
      if (req.url === '/reject') {
        res.statusCode = 417
        res.end('no thanks')
        return
      }
      res.writeContinue()
      bodies.push((await readBody(req)).toString())
      res.end('got it')
    })
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    expect(await (await c.post('/accept', { data: 'the body', expect100: true })).text()).toBe('got it')
    expect(bodies).toEqual(['the body'])
    const rejected = await c.post('/reject', { data: 'never sent', expect100: true })
    expect(rejected.status).toBe(417)
    expect(await rejected.text()).toBe('no thanks')
    expect(bodies).toEqual(['the body'])
  })

  it('compress gzips or deflates the body and sets Content-Encoding', async () => {
    const got: { enc?: string; body: Buffer }[] = []
    const srv = using(
      await httpServer(async (req, res) => {
        got.push({ enc: req.headers['content-encoding'], body: await readBody(req) })
        res.end()
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const text = 'compress me '.repeat(100)
    await (await c.post('/', { data: text, compress: 'gzip' })).bytes()
    await (await c.post('/', { data: text, compress: 'deflate' })).bytes()
    async function* streamed() {
      yield text
    }
    await (await c.post('/', { data: streamed(), compress: 'gzip' })).bytes()
    expect(got[0]!.enc).toBe('gzip')
    expect(gunzipSync(got[0]!.body).toString()).toBe(text)
    expect(got[1]!.enc).toBe('deflate')
    expect(inflateSync(got[1]!.body).toString()).toBe(text)
    expect(gunzipSync(got[2]!.body).toString()).toBe(text)
    expect(got[0]!.body.length).toBeLessThan(text.length)
  })
})

describe('UnixConnector', () => {
  it('speaks HTTP over a unix domain socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonic-unix-'))
    const path = join(dir, 's.sock')
    const server = http.createServer((req, res) => res.end(`unix ${req.url} ${req.headers.host}`))
    await new Promise<void>((r) => server.listen(path, r))
    try {
      const c = new HTTPClient({ connector: new UnixConnector({ path }) })
      expect(await (await c.get('http://docker/v1/info')).text()).toBe('unix /v1/info docker')
      await c.close()
    } finally {
      await new Promise((r) => server.close(r))
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
