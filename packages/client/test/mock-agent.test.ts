// MockAgent through HTTPClient: interceptors answer without a socket, the client's own
// interceptors (redirects, decompression, cookies) run on top; net connect goes to a real loopback
// server.
import * as http from 'node:http'
import { gzipSync } from 'node:zlib'
import { createLeakCheck, fromSource, start } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import {
  AbortError,
  ClientClosedError,
  ConnectError,
  createFetch,
  HTTPClient,
  InvalidArgumentError,
  MockAgent,
  MockNotMatchedError,
  SonicError,
  type DispatchRequest,
} from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

function setup(): { mock: MockAgent; client: HTTPClient } {
  const mock = new MockAgent()
  mock.disableNetConnect()
  const client = new HTTPClient({ dispatcher: mock })
  cleanups.push(() => client.close())
  return { mock, client }
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a failure')
}

describe('MockAgent: replies', () => {
  it('an object body is JSON with its content-type; the call is recorded', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/users/1' }).reply(200, { id: 1, name: 'Ada' }, { 'x-req': 'r1' })
    const res = await client.get('http://api.test/users/1', { headers: { accept: 'application/json' } })
    expect(res.status).toBe(200)
    expect(res.statusText).toBe('OK')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-req')).toBe('r1')
    expect(await res.json()).toEqual({ id: 1, name: 'Ada' })
    expect(mock.calls).toHaveLength(1)
    expect(mock.calls[0]).toMatchObject({ method: 'GET', origin: 'http://api.test', path: '/users/1', body: null })
    expect(mock.calls[0]!.headers.accept).toBe('application/json')
    expect(res.timings).toBeNull()
    mock.assertNoPendingInterceptors()
  })

  it('a POST matched by method, headers and body; the body is in the history', async () => {
    const { mock, client } = setup()
    mock
      .intercept({ origin: 'http://api.test', path: '/users', method: 'POST', headers: { 'content-type': /json/, 'x-key': (v) => v === 'k' }, body: /"Grace"/ })
      .reply(201, 'created')
    const res = await client.post('http://api.test/users', { json: { name: 'Grace' }, headers: { 'x-key': 'k' } })
    expect(res.status).toBe(201)
    expect(await res.text()).toBe('created')
    expect(JSON.parse(mock.calls[0]!.body!)).toEqual({ name: 'Grace' })
    expect(mock.calls[0]!.bytes).toBeInstanceOf(Uint8Array)
  })

  it('answers once by default; times(n) and persist() answer more', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/once' }).reply(200, 'a')
    mock.intercept({ origin: 'http://api.test', path: '/twice' }).reply(200, 'b').times(2)
    mock.intercept({ origin: 'http://api.test', path: '/always' }).reply(200, 'c').persist()
    expect(await (await client.get('http://api.test/once')).text()).toBe('a')
    expect(await failure(client.get('http://api.test/once'))).toBeInstanceOf(MockNotMatchedError)
    for (let i = 0; i < 2; i++) expect(await (await client.get('http://api.test/twice')).text()).toBe('b')
    expect(await failure(client.get('http://api.test/twice'))).toBeInstanceOf(MockNotMatchedError)
    for (let i = 0; i < 5; i++) expect(await (await client.get('http://api.test/always')).text()).toBe('c')
    mock.assertNoPendingInterceptors()
  })

  it('bytes and a function of the request as the body; HEAD and 204 have none', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/bin' }).reply(200, new Uint8Array([1, 2, 3]))
    mock.intercept({ origin: 'http://api.test', path: /^\/echo/ }).reply(200, (req) => ({ path: req.path, ua: req.headers['user-agent'] })).persist()
    mock.intercept({ origin: 'http://api.test', path: '/h', method: 'HEAD' }).reply(200, 'ignored')
    mock.intercept({ origin: 'http://api.test', path: '/n' }).reply(204, 'ignored')
    expect([...(await (await client.get('http://api.test/bin')).bytes())]).toEqual([1, 2, 3])
    expect(await (await client.get('http://api.test/echo?x=1')).json()).toEqual({ path: '/echo?x=1', ua: 'sonic/0.1' })
    expect(await (await client.head('http://api.test/h')).text()).toBe('')
    expect(await (await client.get('http://api.test/n')).text()).toBe('')
  })

  it('query: the path before ? and the exact query, in any key order', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/search', query: { q: 'sonic', tag: ['a', 'b'] } }).reply(200, 'found').persist()
    expect(await (await client.get('http://api.test/search', { params: [['tag', 'a'], ['q', 'sonic'], ['tag', 'b']] })).text()).toBe('found')
    expect(await failure(client.get('http://api.test/search', { params: { q: 'sonic' } }))).toBeInstanceOf(MockNotMatchedError)
    expect(await failure(client.get('http://api.test/search', { params: { q: 'sonic', tag: ['a', 'b'], extra: 1 } }))).toBeInstanceOf(MockNotMatchedError)
  })

  it('origin and method matchers: RegExp and functions', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: /\.test$/, path: (p) => p.startsWith('/v1/'), method: /^(PUT|PATCH)$/ }).reply(200, 'ok').persist()
    expect((await client.put('http://a.test/v1/x')).status).toBe(200)
    expect((await client.patch('https://b.test/v1/y')).status).toBe(200)
    expect(await failure(client.get('http://a.test/v1/x'))).toBeInstanceOf(MockNotMatchedError)
  })

  it("the client's redirect and decompress interceptors run on top of the mock", async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/old' }).reply(301, '', { location: '/new' })
    mock.intercept({ origin: 'http://api.test', path: '/new' }).reply(200, gzipSync('zipped!'), { 'content-encoding': 'gzip' })
    const res = await client.get('http://api.test/old', { follow: true })
    expect(res.url).toBe('http://api.test/new')
    expect(res.history.map((h) => h.status)).toEqual([301])
    expect(await res.text()).toBe('zipped!')
    expect(mock.calls.map((c) => c.path)).toEqual(['/old', '/new'])
  })

  it('replyWithError fails the request with that error', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/down' }).replyWithError(new ConnectError('connection refused (mocked)'))
    const err = await failure(client.get('http://api.test/down'))
    expect(err).toBeInstanceOf(ConnectError)
    expect(err.message).toContain('connection refused (mocked)')
  })

  it('delay(ms) waits; an abort during the wait → AbortError, no timer left', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/slow' }).reply(200, 'late').delay(40).times(2)
    const t0 = performance.now()
    expect(await (await client.get('http://api.test/slow')).text()).toBe('late')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35)
    const ac = new AbortController()
    const p = client.get('http://api.test/slow', { signal: ac.signal })
    setTimeout(() => ac.abort(), 5)
    expect(await failure(p)).toBeInstanceOf(AbortError)
  })
})

describe('MockAgent: unmatched requests and net connect', () => {
  it('net connect disabled: MockNotMatchedError says what came and what is registered', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/a', method: 'POST' }).reply(200, 'x')
    const err = await failure(client.get('http://api.test/b?q=1', { headers: { 'x-id': '7' } }))
    expect(err).toBeInstanceOf(MockNotMatchedError)
    expect(err).toBeInstanceOf(SonicError)
    expect((err as MockNotMatchedError).code).toBe('SONIC_MOCK_NOT_MATCHED')
    expect(err.message).toContain('GET http://api.test/b?q=1')
    expect(err.message).toContain('net connect is disabled')
    expect(err.message).toContain('x-id: 7')
    expect(err.message).toContain('POST http://api.test /a (1 left)')
  })

  it('no interceptors at all: the message says so', async () => {
    const { client } = setup()
    const err = await failure(client.get('http://api.test/'))
    expect(err.message).toContain('No interceptors are registered')
  })

  it('net connect enabled (the default) sends unmatched requests to a real server', async () => {
    const srv = await start(http.createServer((req, res) => res.end(`real ${req.url}`)))
    cleanups.push(() => srv.close())
    const mock = new MockAgent()
    const client = new HTTPClient({ dispatcher: mock })
    cleanups.push(() => client.close())
    mock.intercept({ origin: `http://127.0.0.1:${srv.port}`, path: '/mocked' }).reply(200, 'mock')
    expect(await (await client.get(`http://127.0.0.1:${srv.port}/mocked`)).text()).toBe('mock')
    expect(await (await client.get(`http://127.0.0.1:${srv.port}/other`)).text()).toBe('real /other')
    expect(srv.sockets.length).toBe(1)
    expect(mock.calls.map((c) => c.path)).toEqual(['/mocked', '/other'])
  })

  it('a streamed body passed through to the real server arrives whole (and is in the history)', async () => {
    const got: string[] = []
    const srv = await start(
      http.createServer((req, res) => {
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (c: string) => (body += c))
        req.on('end', () => {
          got.push(body)
          res.end('stored')
        })
      }),
    )
    cleanups.push(() => srv.close())
    const mock = new MockAgent()
    const client = new HTTPClient({ dispatcher: mock })
    cleanups.push(() => client.close())
    async function* parts() {
      yield 'one,'
      yield new TextEncoder().encode('two')
    }
    const res = await client.post(`http://127.0.0.1:${srv.port}/upload`, { data: parts() })
    expect(await res.text()).toBe('stored')
    expect(got).toEqual(['one,two'])
    expect(mock.calls[0]!.body).toBe('one,two')
  })

  it('enableNetConnect(host) lets only that host through (string host:port, hostname, RegExp)', async () => {
    const srv = await start(http.createServer((_req, res) => res.end('real')))
    cleanups.push(() => srv.close())
    const { mock, client } = setup()
    mock.enableNetConnect(`127.0.0.1:${srv.port}`)
    expect(await (await client.get(`http://127.0.0.1:${srv.port}/`)).text()).toBe('real')
    const err = await failure(client.get('http://elsewhere.test/'))
    expect(err).toBeInstanceOf(MockNotMatchedError)
    expect(err.message).toContain('not enabled for this host')
    mock.disableNetConnect()
    expect(await failure(client.get(`http://127.0.0.1:${srv.port}/`))).toBeInstanceOf(MockNotMatchedError)
    mock.enableNetConnect(/^127\.0\.0\.1:/)
    expect(await (await client.get(`http://127.0.0.1:${srv.port}/`)).text()).toBe('real')
    mock.disableNetConnect()
    mock.enableNetConnect('127.0.0.1')
    expect(await (await client.get(`http://127.0.0.1:${srv.port}/`)).text()).toBe('real')
    expect(srv.sockets.length).toBe(1)
  })
})

describe('MockAgent: assertions, lifecycle, arguments', () => {
  it('assertNoPendingInterceptors lists the unused ones', async () => {
    const { mock, client } = setup()
    mock.intercept({ origin: 'http://api.test', path: '/used' }).reply(200, 'x')
    mock.intercept({ origin: 'http://api.test', path: '/unused', method: 'DELETE' }).reply(200, 'x').times(2)
    mock.intercept({ origin: 'http://api.test', path: /never/ }).reply(200, 'x').persist()
    await (await client.get('http://api.test/used')).text()
    const err = (() => {
      try {
        mock.assertNoPendingInterceptors()
      } catch (e) {
        return e as Error
      }
      return null
    })()
    expect(err).toBeInstanceOf(MockNotMatchedError)
    expect(err!.message).toContain('2 mock interceptors are pending')
    expect(err!.message).toContain('- DELETE http://api.test /unused (2 left)')
    expect(err!.message).toContain('- GET http://api.test /never/ (persisted, used 0×)')
    expect(mock.pendingInterceptors()).toHaveLength(2)
  })

  it('with createFetch: a WHATWG Response from the mock', async () => {
    const mock = new MockAgent()
    mock.disableNetConnect()
    cleanups.push(() => mock.close())
    mock.intercept({ origin: 'http://api.test', path: '/f', method: 'PUT', body: 'sent' }).reply(200, { ok: true }, { 'x-mock': '1' })
    const fetch = createFetch({ dispatcher: mock })
    const res = await fetch('http://api.test/f', { method: 'PUT', body: 'sent' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-mock')).toBe('1')
    expect(await res.json()).toEqual({ ok: true })
    expect(mock.calls[0]!.body).toBe('sent')
    const err = await failure(fetch('http://api.test/missing'))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.cause).toBeInstanceOf(MockNotMatchedError)
  })

  it('usable as a plain dispatcher: mock.dispatch with a DispatchRequest', async () => {
    const mock = new MockAgent()
    cleanups.push(() => mock.close())
    mock.intercept({ origin: 'http://api.test', path: '/' }).reply(200, 'direct')
    const req: DispatchRequest = { origin: 'http://api.test', method: 'GET', path: '/', authority: 'api.test', scheme: 'http', headers: [], body: null, sockRead: null }
    const head = await mock.dispatch(req)
    expect(head.status).toBe(200)
    expect(Buffer.from(await head.body.readAll()).toString()).toBe('direct')
  })

  it('close(): later requests → ClientClosedError', async () => {
    const { mock, client } = setup()
    await client.close()
    expect(mock.closed).toBe(true)
    expect(await failure(client.get('http://api.test/'))).toBeInstanceOf(ClientClosedError)
    const req: DispatchRequest = { origin: 'http://api.test', method: 'GET', path: '/', authority: 'api.test', scheme: 'http', headers: [], body: null, sockRead: null }
    expect(await failure(mock.dispatch(req))).toBeInstanceOf(ClientClosedError)
  })

  it('bad arguments → InvalidArgumentError', () => {
    const mock = new MockAgent()
    expect(() => mock.intercept({ origin: 'not a url', path: '/' })).toThrow(InvalidArgumentError)
    expect(() => mock.intercept({ origin: 'http://a.test', path: 5 as never })).toThrow(InvalidArgumentError)
    expect(() => mock.intercept({ origin: 'http://a.test', path: '/' }).reply(42)).toThrow(InvalidArgumentError)
    expect(() => mock.intercept({ origin: 'http://a.test', path: '/' }).reply(200).times(0)).toThrow(InvalidArgumentError)
    expect(() => mock.intercept({ origin: 'http://a.test', path: '/' }).reply(200).delay(-1)).toThrow(InvalidArgumentError)
    expect(() => mock.intercept({ origin: 'http://a.test', path: '/' }).replyWithError('x' as never)).toThrow(InvalidArgumentError)
    expect(() => mock.enableNetConnect(3 as never)).toThrow(InvalidArgumentError)
    expect(() => new MockAgent({ agent: {} as never })).toThrow(InvalidArgumentError)
  })
})
