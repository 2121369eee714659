import { Readable } from 'node:stream'
import { gzipSync, deflateSync, deflateRawSync, brotliCompressSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AbortError,
  BodyUsedError,
  ClientClosedError,
  HTTPClient,
  HttpHeaders,
  InvalidArgumentError,
  MultipartForm,
  TCPConnector,
} from '../src/index.js'
import { httpServer, readBody, type Running } from './helpers.js'
import type http from 'node:http'

let srv: Running<http.Server>
let client: HTTPClient

beforeAll(async () => {
  srv = await httpServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x')
    const body = await readBody(req)
    switch (url.pathname) {
      case '/echo': {
        res.setHeader('content-type', 'application/json')
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            headers: req.headers,
            rawHeaders: req.rawHeaders,
            body: body.toString('latin1'),
            length: body.length,
            chunked: req.headers['transfer-encoding'] === 'chunked',
          }),
        )
        return
      }
      case '/text': {
        res.setHeader('content-type', 'text/plain; charset=' + (url.searchParams.get('cs') ?? 'utf-8'))
        res.end(Buffer.from(url.searchParams.get('cs') === 'latin1' ? 'caf\xe9' : 'café', url.searchParams.get('cs') === 'latin1' ? 'latin1' : 'utf8'))
        return
      }
      case '/multi-cookie':
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=two; HttpOnly'])
        res.setHeader('x-multi', ['1', '2'])
        res.end('ok')
        return
      case '/big': {
        const n = Number(url.searchParams.get('n'))
        res.setHeader('content-length', String(n))
        res.end(Buffer.alloc(n, 0x61))
        return
      }
      case '/status':
        res.statusCode = Number(url.searchParams.get('s'))
        res.end()
        return
      default: {
        const enc = url.pathname.slice(1)
        const payload = Buffer.from('hello compressed world '.repeat(50))
        const encoded: Record<string, () => Buffer> = {
          gzip: () => gzipSync(payload),
          deflate: () => deflateSync(payload),
          'deflate-raw': () => deflateRawSync(payload),
          br: () => brotliCompressSync(payload),
        }
        if (encoded[enc]) {
          res.setHeader('content-encoding', enc === 'deflate-raw' ? 'deflate' : enc)
          res.end(encoded[enc]!())
          return
        }
        res.statusCode = 404
        res.end('not found')
      }
    }
  })
  client = new HTTPClient({ baseUrl: srv.url })
})

afterAll(async () => {
  await client.close()
  await srv.close()
})

async function echo(opts: Parameters<HTTPClient['request']>[1] = {}, path = '/echo') {
  const res = await client.request(path, opts)
  return res.json<{ method: string; url: string; headers: Record<string, string>; rawHeaders: string[]; body: string; length: number; chunked: boolean }>()
}

describe('HTTPClient requests', () => {
  it('GET with status, ok, headers, httpVersion, url', async () => {
    const res = await client.get('/echo')
    expect(res.status).toBe(200)
    expect(res.ok).toBe(true)
    expect(res.statusText).toBe('OK')
    expect(res.httpVersion).toBe('1.1')
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(res.url).toBe(srv.url + '/echo')
    const body = (await res.json()) as { method: string; headers: Record<string, string> }
    expect(body.method).toBe('GET')
    expect(body.headers.host).toBe(`127.0.0.1:${srv.port}`)
    expect(body.headers['accept-encoding']).toContain('gzip')
  })

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('%s method', async (method) => {
    expect((await echo({ method })).method).toBe(method)
  })

  it('HEAD has no body and frees the connection', async () => {
    const res = await client.head('/big?n=1000')
    expect(res.headers.get('content-length')).toBe('1000')
    expect((await res.bytes()).length).toBe(0)
  })

  it('shortcut methods', async () => {
    expect(((await (await client.post('/echo', { data: 'x' })).json()) as { method: string }).method).toBe('POST')
    expect(((await (await client.put('/echo')).json()) as { method: string }).method).toBe('PUT')
    expect(((await (await client.patch('/echo')).json()) as { method: string }).method).toBe('PATCH')
    expect(((await (await client.delete('/echo')).json()) as { method: string }).method).toBe('DELETE')
    expect(((await (await client.options('/echo')).json()) as { method: string }).method).toBe('OPTIONS')
  })

  it('params in every form', async () => {
    expect((await echo({ params: { a: 1, b: true, c: ['x', 'y'], skip: undefined } })).url).toBe('/echo?a=1&b=true&c=x&c=y')
    expect((await echo({ params: [['q', 'a b'], ['q', 'c&d']] })).url).toBe('/echo?q=a+b&q=c%26d')
    expect((await echo({ params: new URLSearchParams('z=1') })).url).toBe('/echo?z=1')
    const res = await client.get('/echo?keep=1', { params: { more: 2 } })
    expect(((await res.json()) as { url: string }).url).toBe('/echo?keep=1&more=2')
  })

  it('headers in every form, client defaults merged under request headers', async () => {
    const c2 = new HTTPClient({ baseUrl: srv.url, headers: { 'X-Default': 'd', 'X-Over': 'client' } })
    try {
      const forms = [
        { 'x-over': 'req', 'x-one': '1' },
        [['X-Over', 'req'], ['x-one', '1']] as [string, string][],
        new HttpHeaders({ 'X-OVER': 'req', 'x-one': '1' }),
        new Headers({ 'x-over': 'req', 'x-one': '1' }),
      ]
      for (const headers of forms) {
        const r = await c2.request('/echo', { headers })
        const body = (await r.json()) as { headers: Record<string, string> }
        expect(body.headers['x-default']).toBe('d')
        expect(body.headers['x-over']).toBe('req')
        expect(body.headers['x-one']).toBe('1')
      }
    } finally {
      await c2.close()
    }
  })

  it('data: string, bytes, ArrayBuffer, urlencoded object, URLSearchParams', async () => {
    let b = await echo({ method: 'POST', data: 'héllo' })
    expect(Buffer.from(b.body, 'latin1').toString('utf8')).toBe('héllo')
    expect(b.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(b.headers['content-length']).toBe(String(Buffer.byteLength('héllo')))
    b = await echo({ method: 'POST', data: new Uint8Array([0, 1, 2, 255]) })
    expect(Buffer.from(b.body, 'latin1')).toEqual(Buffer.from([0, 1, 2, 255]))
    b = await echo({ method: 'POST', data: new Uint8Array([7, 8]).buffer })
    expect(b.length).toBe(2)
    b = await echo({ method: 'POST', data: { a: '1', b: 'x y', list: ['p', 'q'] } })
    expect(b.body).toBe('a=1&b=x+y&list=p&list=q')
    expect(b.headers['content-type']).toBe('application/x-www-form-urlencoded')
    b = await echo({ method: 'POST', data: new URLSearchParams({ k: 'v' }) })
    expect(b.body).toBe('k=v')
  })

  it('data: iterables, async iterables and Readables go chunked', async () => {
    function* gen() {
      yield 'ab'
      yield new Uint8Array([0x63])
    }
    async function* agen() {
      yield 'x'
      yield 'yz'
    }
    let b = await echo({ method: 'POST', data: gen() })
    expect(b.chunked).toBe(true)
    expect(b.body).toBe('abc')
    b = await echo({ method: 'POST', data: agen() })
    expect(b.body).toBe('xyz')
    b = await echo({ method: 'POST', data: Readable.from([Buffer.from('r1'), Buffer.from('r2')]) })
    expect(b.body).toBe('r1r2')
  })

  it('data: Blob with its type and length', async () => {
    const b = await echo({ method: 'POST', data: new Blob(['blob-data'], { type: 'text/x-blob' }) })
    expect(b.body).toBe('blob-data')
    expect(b.headers['content-type']).toBe('text/x-blob')
    expect(b.headers['content-length']).toBe('9')
  })

  it('data: MultipartForm, FormData and multipart: true', async () => {
    const form = new MultipartForm()
    form.addField('f', 'v')
    let b = await echo({ method: 'POST', data: form })
    expect(b.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(b.body).toContain('name="f"')
    expect(b.headers['content-length']).toBe(String(b.length))
    const fd = new FormData()
    fd.append('x', 'y')
    b = await echo({ method: 'POST', data: fd })
    expect(b.body).toContain('name="x"')
    b = await echo({ method: 'POST', data: { m: 'n' }, multipart: true })
    expect(b.body).toContain('name="m"')
  })

  it('json with default and custom serializer', async () => {
    let b = await echo({ method: 'POST', json: { a: [1, 2] } })
    expect(JSON.parse(b.body)).toEqual({ a: [1, 2] })
    expect(b.headers['content-type']).toBe('application/json')
    b = await echo({ method: 'POST', json: { a: 1 }, jsonSerializer: () => '{"custom":true}' })
    expect(b.body).toBe('{"custom":true}')
  })

  it('auth option and URL credentials send Basic', async () => {
    let b = await echo({ auth: { username: 'u', password: 'p' } })
    expect(b.headers.authorization).toBe('Basic ' + Buffer.from('u:p').toString('base64'))
    b = await echo({ auth: 'me:secret' })
    expect(b.headers.authorization).toBe('Basic ' + Buffer.from('me:secret').toString('base64'))
    const res = await client.get(`http://us%40er:pa%3Ass@127.0.0.1:${srv.port}/echo`)
    const j = (await res.json()) as { headers: Record<string, string> }
    expect(j.headers.authorization).toBe('Basic ' + Buffer.from('us@er:pa:ss').toString('base64'))
  })

  it.each([
    [{ method: 'GE T' }],
    [{ headers: { 'x-bad': 'a\r\nInjected: 1' } }],
    [{ headers: { 'bad name': 'v' } }],
    [{ headers: { 'x-nul': 'a\0' } }],
    [{ data: 'x', json: 1 }],
    [{ params: 5 as never }],
    [{ maxRedirects: -1 }],
  ])('bad input %j → InvalidArgumentError', async (opts) => {
    await expect(client.request('/echo', opts as never)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('null options are no options; non-object options → InvalidArgumentError', async () => {
    const res = await client.request('/echo', null)
    expect(res.status).toBe(200)
    await res.release()
    await expect(client.request('/echo', 'GET' as never)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('bad URLs → InvalidArgumentError', async () => {
    const bare = new HTTPClient()
    try {
      await expect(bare.get('not a url')).rejects.toBeInstanceOf(InvalidArgumentError)
      await expect(bare.get('ftp://127.0.0.1/')).rejects.toBeInstanceOf(InvalidArgumentError)
    } finally {
      await bare.close()
    }
  })
})

describe('HttpResponse', () => {
  it('text() honours the charset', async () => {
    expect(await (await client.get('/text')).text()).toBe('café')
    expect(await (await client.get('/text?cs=latin1')).text()).toBe('café')
    expect(await (await client.get('/text?cs=latin1')).text('utf-8')).not.toBe('café')
  })

  it('rawHeaders, multi-valued headers and cookies', async () => {
    const res = await client.get('/multi-cookie')
    expect(res.headers.get('x-multi')).toBe('1, 2')
    expect(res.headers.getAll('set-cookie')).toEqual(['a=1; Path=/', 'b=two; HttpOnly'])
    expect(res.cookies.get('a')).toBe('1')
    expect(res.cookies.get('b')).toBe('two')
    expect(res.rawHeaders.filter(([n]) => n.toLowerCase() === 'x-multi')).toEqual([
      ['x-multi', '1'],
      ['x-multi', '2'],
    ])
    await res.release()
  })

  it('a body reads once: second read → BodyUsedError', async () => {
    const res = await client.get('/echo')
    await res.bytes()
    await expect(res.text()).rejects.toBeInstanceOf(BodyUsedError)
    expect(() => res.readChunks()).toThrow(BodyUsedError)
  })

  it('readChunks streams the body', async () => {
    const res = await client.get('/big?n=300000')
    let total = 0
    let chunks = 0
    for await (const c of res.readChunks()) {
      total += c.length
      chunks++
    }
    expect(total).toBe(300000)
    expect(chunks).toBeGreaterThan(1)
  })

  it('body is a web ReadableStream', async () => {
    const res = await client.get('/big?n=5000')
    const text = await new Response(res.body).text()
    expect(text).toBe('a'.repeat(5000))
  })

  it.each(['gzip', 'deflate', 'deflate-raw', 'br'])('decompresses %s in bytes() and readChunks()', async (enc) => {
    const expected = 'hello compressed world '.repeat(50)
    expect(await (await client.get('/' + enc)).text()).toBe(expected)
    const parts: Buffer[] = []
    for await (const c of (await client.get('/' + enc)).readChunks()) parts.push(Buffer.from(c))
    expect(Buffer.concat(parts).toString()).toBe(expected)
  })

  it('release() discards the body and the connection is reused', async () => {
    const c = new HTTPClient({ baseUrl: srv.url, connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } } }) })
    try {
      const first = await c.get('/big?n=100')
      await first.release()
      const second = await c.get('/big?n=100')
      expect((await second.bytes()).length).toBe(100)
    } finally {
      await c.close()
    }
  })

  it('204 and 304 have empty bodies', async () => {
    expect((await (await client.get('/status?s=204')).bytes()).length).toBe(0)
    expect((await (await client.get('/status?s=304')).bytes()).length).toBe(0)
    const r = await client.get('/status?s=404')
    expect(r.ok).toBe(false)
    expect(r.status).toBe(404)
  })
})

describe('client lifecycle', () => {
  it('close() makes later requests fail with ClientClosedError', async () => {
    const c = new HTTPClient({ baseUrl: srv.url })
    await (await c.get('/echo')).bytes()
    await c.close()
    await expect(c.get('/echo')).rejects.toBeInstanceOf(ClientClosedError)
  })

  it('Symbol.asyncDispose closes the client', async () => {
    let c: HTTPClient
    {
      await using inner = new HTTPClient({ baseUrl: srv.url })
      c = inner
      await (await inner.get('/echo')).bytes()
    }
    expect(c.closed).toBe(true)
  })

  it('an already aborted signal → AbortError', async () => {
    await expect(client.get('/echo', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)
  })
})
