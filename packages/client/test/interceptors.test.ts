// User interceptors and dispatchers on HTTPClient, against a real server on loopback.
import { describe, expect, it } from 'vitest'
import { CookieJar } from 'tough-cookie'
import {
  Agent,
  bodyFrom,
  ClientClosedError,
  compose,
  cookies,
  HTTPClient,
  HttpHeaders,
  InvalidArgumentError,
  redirect,
  type Dispatch,
  type DispatchRequest,
  type HttpResponseHead,
  type Interceptor,
} from '../src/index.js'
import { httpServer, useCleanups } from './helpers.js'

const using = useCleanups()

async function echoServer() {
  let hits = 0
  const srv = await httpServer((req, res) => {
    hits++
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/final' })
      res.end()
      return
    }
    if (req.url === '/cookie') res.setHeader('set-cookie', 'k=v; Path=/')
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, method: req.method, headers: req.headers }))
  })
  return { ...srv, hits: () => hits }
}

describe('user interceptors on HTTPClient', () => {
  it('one adds a header to every request, redirect hops included', async () => {
    const srv = using(await echoServer())
    const seen: string[] = []
    const addHeader: Interceptor = (next) => (req) => {
      seen.push(req.path)
      return next({ ...req, headers: [...req.headers, 'x-trace', 'abc'] })
    }
    const c = using(new HTTPClient({ interceptors: [addHeader] }))
    const body = (await (await c.get(`${srv.url}/redirect`, { follow: true })).json()) as { url: string; headers: Record<string, string> }
    expect(body.url).toBe('/final')
    expect(body.headers['x-trace']).toBe('abc')
    expect(seen).toEqual(['/redirect', '/final'])
  })

  it('a header an interceptor adds is validated before a byte is written', async () => {
    const srv = using(await echoServer())
    const bad: Interceptor = (next) => (req) => next({ ...req, headers: [...req.headers, 'x-evil', 'a\r\nInjected: 1'] })
    const c = using(new HTTPClient({ interceptors: [bad] }))
    await expect(c.get(srv.url)).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(srv.hits()).toBe(0)
  })

  it('one reads the status of each response', async () => {
    const srv = using(await echoServer())
    const statuses: number[] = []
    const readStatus: Interceptor = (next) => async (req) => {
      const head = await next(req)
      statuses.push(head.status)
      return head
    }
    const c = using(new HTTPClient({ interceptors: [readStatus] }))
    const res = await c.get(`${srv.url}/redirect`, { follow: true })
    await res.text()
    expect(statuses).toEqual([302, 200])
    expect(res.history.map((h) => h.status)).toEqual([302])
  })

  it('one answers from a cache with bodyFrom, without touching the network', async () => {
    const srv = using(await echoServer())
    const cache = new Map<string, string>()
    const cached: Interceptor = (next) => async (req) => {
      const key = req.origin + req.path
      const hit = cache.get(key)
      if (hit !== undefined) {
        return { status: 200, statusText: 'OK', httpVersion: '1.1', headers: new HttpHeaders({ 'x-cache': 'hit' }), chunked: false, body: bodyFrom(hit) }
      }
      const head = await next(req)
      const bytes = await head.body.readAll()
      cache.set(key, Buffer.from(bytes).toString('utf8'))
      return { ...head, body: bodyFrom(bytes) }
    }
    const c = using(new HTTPClient({ interceptors: [cached] }))
    const first = await (await c.get(`${srv.url}/a`)).json()
    const res = await c.get(`${srv.url}/a`)
    expect(res.headers.get('x-cache')).toBe('hit')
    expect(await res.json()).toEqual(first)
    expect(srv.hits()).toBe(1)
    // The connection of the first request went back to the pool when its body was read.
    expect((c.dispatcher as Agent).stats).toMatchObject({ pools: 1, busy: 0, idle: 1 })
  })

  it('interceptors run in order, the first outermost', async () => {
    const srv = using(await echoServer())
    const log: string[] = []
    const tag = (name: string): Interceptor => (next) => async (req) => {
      log.push(`>${name}`)
      const head = await next(req)
      log.push(`<${name}`)
      return head
    }
    const c = using(new HTTPClient({ interceptors: [tag('a'), tag('b')] }))
    await (await c.get(srv.url)).text()
    expect(log).toEqual(['>a', '>b', '<b', '<a'])
  })

  it('an interceptor that throws fails the request, named by method and URL', async () => {
    const boom: Interceptor = () => () => Promise.reject(new InvalidArgumentError('no'))
    const c = using(new HTTPClient({ interceptors: [boom] }))
    const err = (await c.post('http://127.0.0.1:1/x').catch((e: unknown) => e)) as InvalidArgumentError
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.method).toBe('POST')
    expect(err.url).toBe('http://127.0.0.1:1/x')
  })

  it('interceptors must be an array of functions', () => {
    expect(() => new HTTPClient({ interceptors: 'x' as unknown as Interceptor[] })).toThrow(InvalidArgumentError)
    expect(() => new HTTPClient({ interceptors: [42 as unknown as Interceptor] })).toThrow(InvalidArgumentError)
  })
})

describe('dispatchers', () => {
  it('any { dispatch, close } serves HTTPClient; dispatcherOwner: false leaves it open', async () => {
    let closed = 0
    const requests: DispatchRequest[] = []
    const canned: Dispatch = async (req) => {
      requests.push(req)
      const head: HttpResponseHead = { status: 201, statusText: 'Created', httpVersion: '1.1', headers: new HttpHeaders({ 'content-type': 'text/plain' }), chunked: false, body: bodyFrom(`you asked ${req.method} ${req.path}`) }
      return head
    }
    const dispatcher = { dispatch: canned, close: async () => void closed++ }
    const c = new HTTPClient({ dispatcher, dispatcherOwner: false })
    const res = await c.put('http://service.invalid/thing?x=1')
    expect(res.status).toBe(201)
    expect(await res.text()).toBe('you asked PUT /thing?x=1')
    expect(requests[0]!.origin).toBe('http://service.invalid')
    expect(requests[0]!.authority).toBe('service.invalid')
    await c.close()
    expect(closed).toBe(0)
    const owner = new HTTPClient({ dispatcher })
    await owner.close()
    expect(closed).toBe(1)
  })

  it('a dispatcher that is not one is an InvalidArgumentError; so is connector and dispatcher both', () => {
    expect(() => new HTTPClient({ dispatcher: {} as never })).toThrow(InvalidArgumentError)
    expect(() => new HTTPClient({ dispatcher: new Agent(), connector: new Agent() })).toThrow(InvalidArgumentError)
  })

  it('an Agent dispatches on its own; built-in interceptors compose around it; stats count pools', async () => {
    const srv = using(await echoServer())
    const agent = new Agent({ poolConfigs: { ':default': { size: 2 } } })
    const jar = new CookieJar()
    const send = compose(agent.dispatch, redirect(), cookies(jar))
    const base: DispatchRequest = {
      origin: srv.url,
      method: 'GET',
      path: '/cookie',
      authority: `127.0.0.1:${srv.port}`,
      scheme: 'http',
      headers: [],
      body: null,
      sockRead: 5000,
    }
    const first = await send(base)
    await first.body.readAll()
    const second = await send({ ...base, path: '/redirect' })
    const body = JSON.parse(Buffer.from(await second.body.readAll()).toString()) as { url: string; headers: Record<string, string> }
    expect(body.url).toBe('/final')
    expect(body.headers.cookie).toBe('k=v')
    expect(agent.stats).toEqual({ pools: 1, connections: 1, busy: 0, idle: 1 })
    await agent.close()
    expect(agent.stats.pools).toBe(0)
    await expect(agent.dispatch(base)).rejects.toBeInstanceOf(ClientClosedError)
  })
})

describe('errors from an Agent used directly', () => {
  it('name the request: method and URL without the query', async () => {
    const agent = new Agent()
    try {
      const err = (await agent
        .dispatch({ origin: 'http://127.0.0.1:1', method: 'PUT', path: '/thing?secret=1', authority: '127.0.0.1:1', scheme: 'http', headers: [], body: null, sockRead: 1000 })
        .catch((e: unknown) => e)) as ClientClosedError
      expect(err.method).toBe('PUT')
      expect(err.url).toBe('http://127.0.0.1:1/thing')
      expect(err.message).toContain('(PUT http://127.0.0.1:1/thing)')
    } finally {
      await agent.close()
    }
  })
})
