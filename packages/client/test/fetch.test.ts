// fetch() on sonic's engine: requests, bodies, headers and responses as the Fetch standard has
// them (WPT fetch/api and undici's fetch tests as the reference for what to check), against a
// real node:http server on 127.0.0.1.
import * as http from 'node:http'
import * as net from 'node:net'
import * as zlib from 'node:zlib'
import { createLeakCheck, fromSource, start } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { Agent, ConnectError, createFetch, fetch, getFetchAgent, HttpParserError, InvalidArgumentError, isSonicError, type FetchFunction } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

interface Echo {
  method: string
  url: string
  headers: Record<string, string | string[]>
  rawHeaders: string[]
  body: string
}

async function readAll(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function server(handler?: http.RequestListener) {
  const srv = await start(
    http.createServer({ keepAliveTimeout: 5000 }, async (req, res) => {
      if (handler !== undefined) return handler(req, res)
      const body = await readAll(req)
      const u = new URL(req.url!, 'http://x')
      switch (u.pathname) {
        case '/status': {
          const s = Number(u.searchParams.get('s'))
          res.writeHead(s, u.searchParams.get('text') ?? undefined, { 'x-status': String(s) })
          res.end(s === 204 || s === 304 ? undefined : 'body')
          return
        }
        case '/gzip':
        case '/br':
        case '/deflate': {
          const text = 'hello compressed world '.repeat(100)
          const enc = u.pathname.slice(1)
          const data = enc === 'gzip' ? zlib.gzipSync(text) : enc === 'br' ? zlib.brotliCompressSync(text) : zlib.deflateSync(text)
          res.writeHead(200, { 'content-encoding': enc, 'content-length': data.length })
          res.end(data)
          return
        }
        case '/cookies':
          res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly'])
          res.setHeader('x-multi', ['one', 'two'])
          res.end('ok')
          return
        case '/json':
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify({ ok: true, n: 1 }))
          return
      }
      const echo: Echo = { method: req.method!, url: req.url!, headers: req.headers as Echo['headers'], rawHeaders: req.rawHeaders, body: body.toString('utf8') }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(echo))
    }),
  )
  cleanups.push(() => srv.close())
  return { ...srv, url: `http://127.0.0.1:${srv.port}` }
}

function client(): { f: FetchFunction; agent: Agent } {
  const agent = new Agent()
  cleanups.push(() => agent.close())
  return { f: createFetch({ dispatcher: agent }), agent }
}

async function echo(res: Response): Promise<Echo> {
  return (await res.json()) as Echo
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('fetch: requests', () => {
  it('a GET resolves with the global Response and Headers, status, statusText, ok, url', async () => {
    const srv = await server()
    const { f } = client()
    const res = await f(`${srv.url}/a?b=1#frag`)
    expect(res).toBeInstanceOf(Response)
    expect(res.headers).toBeInstanceOf(Headers)
    expect(res.body).toBeInstanceOf(ReadableStream)
    expect(res.status).toBe(200)
    expect(res.statusText).toBe('OK')
    expect(res.ok).toBe(true)
    expect(res.url).toBe(`${srv.url}/a?b=1`)
    expect(res.redirected).toBe(false)
    expect(res.headers.get('content-type')).toBe('application/json')
    const e = await echo(res)
    expect(e.method).toBe('GET')
    expect(e.url).toBe('/a?b=1')
    expect(res.bodyUsed).toBe(true)
  })

  it('sends the default headers undici sends, unless the caller set them', async () => {
    const srv = await server()
    const { f } = client()
    const e = await echo(await f(srv.url))
    expect(e.headers.accept).toBe('*/*')
    expect(e.headers['accept-language']).toBe('*')
    expect(e.headers['sec-fetch-mode']).toBe('cors')
    expect(e.headers['user-agent']).toMatch(/^sonic/)
    expect(String(e.headers['accept-encoding'])).toMatch(/gzip, deflate, br/)
    expect(e.headers.host).toBe(`127.0.0.1:${srv.port}`)
    const mine = await echo(await f(srv.url, { headers: { Accept: 'text/html', 'User-Agent': 'me/1' } }))
    expect(mine.headers.accept).toBe('text/html')
    expect(mine.headers['user-agent']).toBe('me/1')
    expect(mine.rawHeaders.filter((h) => h.toLowerCase() === 'accept')).toHaveLength(1)
  })

  it('takes URL objects and Request objects (method, headers, body, redirect from it; init wins)', async () => {
    const srv = await server()
    const { f } = client()
    expect((await echo(await f(new URL('/u', srv.url)))).url).toBe('/u')
    const req = new Request(`${srv.url}/r`, { method: 'PUT', headers: { 'x-a': '1' }, body: 'from request' })
    const e = await echo(await f(req))
    expect(e.method).toBe('PUT')
    expect(e.headers['x-a']).toBe('1')
    expect(e.body).toBe('from request')
    // A body made from a string goes with a Content-Length, not chunked.
    expect(e.headers['content-length']).toBe('12')
    expect(e.headers['content-type']).toBe('text/plain;charset=UTF-8')
    expect(req.bodyUsed).toBe(true)
    const over = await echo(await f(new Request(`${srv.url}/r`, { method: 'POST', headers: { 'x-a': '1' } }), { method: 'PATCH', headers: { 'x-b': '2' }, body: 'init' }))
    expect(over.method).toBe('PATCH')
    expect(over.headers['x-a']).toBeUndefined()
    expect(over.headers['x-b']).toBe('2')
    expect(over.body).toBe('init')
  })

  it('a Request body keeps its Content-Type under headers given in init', async () => {
    const srv = await server()
    const { f } = client()
    const req = new Request(srv.url, { method: 'POST', body: new URLSearchParams({ q: '1' }) })
    const e = await echo(await f(req, { headers: { 'x-init': 'yes' } }))
    expect(e.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(e.headers['x-init']).toBe('yes')
    expect(e.body).toBe('q=1')
  })

  it('a Request whose body was used → TypeError', async () => {
    const srv = await server()
    const { f } = client()
    const req = new Request(srv.url, { method: 'POST', body: 'x' })
    await req.text()
    await expect(f(req)).rejects.toBeInstanceOf(TypeError)
  })

  it('normalises the six standard methods and sends others as written; forbidden and invalid ones → TypeError', async () => {
    const srv = await server()
    const { f } = client()
    expect((await echo(await f(srv.url, { method: 'post', body: '' }))).method).toBe('POST')
    expect((await echo(await f(srv.url, { method: 'delete' }))).method).toBe('DELETE')
    expect((await echo(await f(srv.url, { method: 'PATCH', body: 'p' }))).method).toBe('PATCH')
    expect((await echo(await f(srv.url, { method: 'PROPFIND' }))).method).toBe('PROPFIND')
    for (const m of ['CONNECT', 'trace', 'TRACK', 'BAD METHOD', '']) {
      const err = await rejection(f(srv.url, { method: m }))
      expect(err).toBeInstanceOf(TypeError)
      expect((err as TypeError).cause).toBeInstanceOf(InvalidArgumentError)
    }
  })

  it('GET and HEAD with a body → TypeError before anything is sent', async () => {
    let hits = 0
    const srv = await server((_req, res) => {
      hits++
      res.end()
    })
    const { f } = client()
    await expect(f(srv.url, { body: 'x' })).rejects.toBeInstanceOf(TypeError)
    await expect(f(srv.url, { method: 'HEAD', body: 'x' })).rejects.toBeInstanceOf(TypeError)
    const post = new Request(srv.url, { method: 'POST', body: 'x' })
    await expect(f(post, { method: 'GET' })).rejects.toBeInstanceOf(TypeError)
    expect(post.bodyUsed).toBe(false)
    expect(hits).toBe(0)
  })

  it('relative, unparsable, credentialled and non-http URLs → TypeError with an InvalidArgumentError cause', async () => {
    const { f } = client()
    for (const u of ['/relative', 'http://', 'http://user:pass@127.0.0.1/', 'ftp://127.0.0.1/', 'ws://127.0.0.1/']) {
      const err = await rejection(f(u))
      expect(err).toBeInstanceOf(TypeError)
      expect((err as TypeError).cause).toBeInstanceOf(InvalidArgumentError)
    }
  })

  it('data: URLs are answered (by Node’s own fetch)', async () => {
    const { f } = client()
    const res = await f('data:text/plain,hello%20data')
    expect(await res.text()).toBe('hello data')
  })

  it('invalid header names and values, and framing headers → TypeError; nothing is sent', async () => {
    let hits = 0
    const srv = await server((_req, res) => {
      hits++
      res.end()
    })
    const { f } = client()
    const bad: Array<Record<string, string> | [string, string][]> = [
      { 'bad name': 'x' },
      { 'x-a': 'a\r\nInjected: 1' },
      { 'x-a': 'nul\u0000' },
      { 'x-a': 'wide \u2603' },
      { 'transfer-encoding': 'chunked' },
      { upgrade: 'websocket' },
      { 'keep-alive': 'timeout=5' },
      { expect: '100-continue' },
      { connection: 'upgrade' },
      [['x-a', '1', '2'] as unknown as [string, string]],
    ]
    for (const headers of bad) {
      const err = await rejection(f(srv.url, { headers }))
      expect(err).toBeInstanceOf(TypeError)
      expect(isSonicError((err as TypeError).cause)).toBe(true)
    }
    expect(hits).toBe(0)
  })

  it('headers as Headers, pairs and records; values trimmed; repeated names all sent', async () => {
    const srv = await server()
    const { f } = client()
    const h = new Headers()
    h.append('x-list', 'a')
    h.append('x-list', 'b')
    const a = await echo(await f(srv.url, { headers: h }))
    expect(a.headers['x-list']).toBe('a, b')
    const b = await echo(await f(srv.url, { headers: [['x-p', '1'], ['x-p', '2']] }))
    expect(b.rawHeaders.filter((x) => x === '1' || x === '2')).toEqual(['1', '2'])
    const c = await echo(await f(srv.url, { headers: { 'x-t': '  padded\t' } }))
    expect(c.headers['x-t']).toBe('padded')
  })

  it('mode, cache, credentials, keepalive, referrer, integrity and priority are accepted', async () => {
    const srv = await server()
    const { f } = client()
    const res = await f(srv.url, { mode: 'cors', cache: 'no-store', credentials: 'include', keepalive: true, referrer: '', referrerPolicy: 'no-referrer', integrity: '', priority: 'high' } as RequestInit)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
  })

  it('bad init values → TypeError', async () => {
    const srv = await server()
    const { f } = client()
    await expect(f(srv.url, { redirect: 'sometimes' as RequestRedirect })).rejects.toBeInstanceOf(TypeError)
    await expect(f(srv.url, { signal: {} as AbortSignal })).rejects.toBeInstanceOf(TypeError)
    await expect(f(srv.url, { method: 'POST', body: 'x', duplex: 'full' as 'half' })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('fetch: request bodies', () => {
  it('string, URLSearchParams, ArrayBuffer, typed arrays, DataView and Blob, each with its Content-Type and Content-Length', async () => {
    const srv = await server()
    const { f } = client()
    const cases: Array<[BodyInit, string, string | undefined]> = [
      ['héllo', 'héllo', 'text/plain;charset=UTF-8'],
      [new URLSearchParams({ a: '1', b: 'x y' }), 'a=1&b=x+y', 'application/x-www-form-urlencoded;charset=UTF-8'],
      [new TextEncoder().encode('bytes').buffer, 'bytes', undefined],
      [new TextEncoder().encode('u8'), 'u8', undefined],
      [new Uint16Array([0x6968]), 'hi', undefined],
      [new DataView(new TextEncoder().encode('view').buffer), 'view', undefined],
      [new Blob(['bl', 'ob'], { type: 'text/x-blob' }), 'blob', 'text/x-blob'],
    ]
    for (const [body, text, type] of cases) {
      const e = await echo(await f(srv.url, { method: 'POST', body }))
      expect(e.body).toBe(text)
      expect(e.headers['content-type']).toBe(type)
      expect(e.headers['content-length']).toBe(String(Buffer.byteLength(text)))
      expect(e.headers['transfer-encoding']).toBeUndefined()
    }
  })

  it('bytes are copied when fetch is called (changing the buffer afterwards changes nothing)', async () => {
    const srv = await server()
    const { f } = client()
    const buf = new TextEncoder().encode('before')
    const p = f(srv.url, { method: 'POST', body: buf })
    buf.set(new TextEncoder().encode('AFTER!'))
    expect((await echo(await p)).body).toBe('before')
  })

  it('FormData goes as multipart/form-data with its exact length', async () => {
    const srv = await server()
    const { f } = client()
    const fd = new FormData()
    fd.append('field', 'value')
    fd.append('file', new Blob(['file content'], { type: 'text/plain' }), 'a.txt')
    const e = await echo(await f(srv.url, { method: 'POST', body: fd }))
    const type = String(e.headers['content-type'])
    expect(type).toMatch(/^multipart\/form-data; boundary=/)
    expect(Number(e.headers['content-length'])).toBe(Buffer.byteLength(e.body))
    expect(e.body).toContain('name="field"')
    expect(e.body).toContain('value')
    expect(e.body).toContain('filename="a.txt"')
    expect(e.body).toContain('file content')
    // What the server got parses back as the same form.
    const back = await new Response(e.body, { headers: { 'content-type': type } }).formData()
    expect(back.get('field')).toBe('value')
    expect(await (back.get('file') as File).text()).toBe('file content')
  })

  it('a POST without a body sends Content-Length: 0', async () => {
    const srv = await server()
    const { f } = client()
    const e = await echo(await f(srv.url, { method: 'POST' }))
    expect(e.headers['content-length']).toBe('0')
  })

  it('another value is sent as its string', async () => {
    const srv = await server()
    const { f } = client()
    const e = await echo(await f(srv.url, { method: 'POST', body: 42 as unknown as BodyInit }))
    expect(e.body).toBe('42')
  })

  it('a stream body without duplex: half → TypeError', async () => {
    const srv = await server()
    const { f } = client()
    const stream = new ReadableStream({ pull: (c) => c.close() })
    await expect(f(srv.url, { method: 'POST', body: stream })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('fetch: responses', () => {
  it('HEAD, 204, 205 and 304 have a null body; the connection is reused', async () => {
    const srv = await server()
    const { f, agent } = client()
    const head = await f(`${srv.url}/status?s=200`, { method: 'HEAD' })
    expect(head.body).toBeNull()
    expect(await head.text()).toBe('')
    for (const s of [204, 205, 304]) {
      const res = await f(`${srv.url}/status?s=${s}`)
      expect(res.status).toBe(s)
      expect(res.body).toBeNull()
      expect(res.headers.get('x-status')).toBe(String(s))
    }
    expect(srv.sockets.length).toBe(1)
    expect(agent.stats.busy).toBe(0)
  })

  it('4xx and 5xx resolve (ok false), with their status text', async () => {
    const srv = await server()
    const { f } = client()
    const res = await f(`${srv.url}/status?s=418&text=I%27m%20a%20teapot`)
    expect(res.status).toBe(418)
    expect(res.ok).toBe(false)
    expect(res.statusText).toBe("I'm a teapot")
    expect(await res.text()).toBe('body')
    const unavailable = await f(`${srv.url}/status?s=503`)
    expect(unavailable.status).toBe(503)
    expect(await unavailable.text()).toBe('body')
  })

  it('repeated headers: set-cookie through getSetCookie(), others joined', async () => {
    const srv = await server()
    const { f } = client()
    const res = await f(`${srv.url}/cookies`)
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly'])
    expect(res.headers.get('x-multi')).toBe('one, two')
    await res.text()
  })

  it('gzip, deflate and br bodies are decoded; Content-Encoding stays', async () => {
    const srv = await server()
    const { f } = client()
    for (const enc of ['gzip', 'deflate', 'br']) {
      const res = await f(`${srv.url}/${enc}`)
      expect(res.headers.get('content-encoding')).toBe(enc)
      expect(await res.text()).toBe('hello compressed world '.repeat(100))
    }
  })

  it('json(), arrayBuffer(), blob() and clone() work; a clone keeps url', async () => {
    const srv = await server()
    const { f } = client()
    const res = await f(`${srv.url}/json`)
    const copy = res.clone()
    expect(copy.url).toBe(`${srv.url}/json`)
    expect(await res.json()).toEqual({ ok: true, n: 1 })
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"ok":true,"n":1}')
    const b = await (await f(`${srv.url}/json`)).blob()
    expect(b.size).toBe(17)
  })

  it('a body read twice → TypeError', async () => {
    const srv = await server()
    const { f } = client()
    const res = await f(`${srv.url}/json`)
    await res.text()
    await expect(res.text()).rejects.toBeInstanceOf(TypeError)
  })
})

describe('fetch: failures', () => {
  it('a refused connection → TypeError whose cause is ConnectError', async () => {
    const srv = await server()
    const port = srv.port
    await srv.close()
    const { f } = client()
    const err = await rejection(f(`http://127.0.0.1:${port}/`))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).message).toBe('fetch failed')
    expect((err as TypeError).cause).toBeInstanceOf(ConnectError)
  })

  it('a connection closed before the response → TypeError with a SonicError cause', async () => {
    const srv = await server((req) => req.socket.destroy())
    const { f } = client()
    const err = await rejection(f(srv.url))
    expect(err).toBeInstanceOf(TypeError)
    expect(isSonicError((err as TypeError).cause)).toBe(true)
  })

  it('a body cut short → reading it rejects with TypeError whose cause is a SonicError', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('only a part')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const { f } = client()
    const res = await f(srv.url)
    const err = await rejection(res.text())
    expect(err).toBeInstanceOf(TypeError)
    expect(isSonicError((err as TypeError).cause)).toBe(true)
  })

  it('a request body stream that errors → TypeError whose cause is a SonicError', async () => {
    const srv = await server((req, res) => {
      req.resume()
      req.on('end', () => res.end())
    })
    const { f } = client()
    let n = 0
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ === 0) c.enqueue(new TextEncoder().encode('start'))
        else c.error(new Error('source broke'))
      },
    })
    const err = await rejection(f(srv.url, { method: 'POST', body, duplex: 'half' }))
    expect(err).toBeInstanceOf(TypeError)
    expect(isSonicError((err as TypeError).cause)).toBe(true)
  })

  it('a status a Response cannot carry (600) → TypeError whose cause is HttpParserError', async () => {
    const srv = await start(
      net.createServer((s) => {
        s.once('data', () => s.end('HTTP/1.1 600 Odd\r\ncontent-length: 2\r\n\r\nhi'))
      }),
    )
    cleanups.push(() => srv.close())
    const { f } = client()
    const err = await rejection(f(`http://127.0.0.1:${srv.port}/`))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).cause).toBeInstanceOf(HttpParserError)
  })

  it('a Content-Length that does not match the body → TypeError, nothing sent', async () => {
    let hits = 0
    const srv = await server((_req, res) => {
      hits++
      res.end()
    })
    const { f } = client()
    const err = await rejection(f(srv.url, { method: 'POST', body: 'hello', headers: { 'content-length': '3' } }))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).cause).toBeInstanceOf(InvalidArgumentError)
    expect(hits).toBe(0)
  })

  it('an agent closed → TypeError with ClientClosedError', async () => {
    const srv = await server()
    const agent = new Agent()
    const f = createFetch({ dispatcher: agent })
    await agent.close()
    const err = await rejection(f(srv.url))
    expect(err).toBeInstanceOf(TypeError)
    expect(((err as TypeError).cause as { code: string }).code).toBe('SONIC_CLIENT_CLOSED')
  })
})

describe('module-level fetch', () => {
  it('uses one shared Agent and its pool', async () => {
    const srv = await server()
    cleanups.push(() => getFetchAgent().close())
    for (let i = 0; i < 5; i++) expect((await echo(await fetch(`${srv.url}/${i}`))).url).toBe(`/${i}`)
    expect(srv.sockets.length).toBe(1)
    expect(getFetchAgent().stats.idle).toBe(1)
  })

  it('works again after its agent was closed', async () => {
    const srv = await server()
    cleanups.push(() => getFetchAgent().close())
    await (await fetch(srv.url)).text()
    await getFetchAgent().close()
    expect((await fetch(srv.url)).status).toBe(200)
  })
})

describe('createFetch', () => {
  it('a bad dispatcher or interceptors → InvalidArgumentError', () => {
    expect(() => createFetch({ dispatcher: {} as never })).toThrow(InvalidArgumentError)
    expect(() => createFetch({ dispatcher: new Agent(), interceptors: 'x' as never })).toThrow(InvalidArgumentError)
  })
})
