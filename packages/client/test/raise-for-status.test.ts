// raiseForStatus: a status ≥ 400 → HttpStatusError with status, the full final URL, headers and
// the response (body unread), on the client, per request and as an interceptor of its own.
import { createLeakCheck, fromSource } from '@sonic/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  Agent,
  compose,
  HTTPClient,
  HttpResponse,
  HttpStatusError,
  InvalidArgumentError,
  raiseForStatus,
  SonicError,
  type ClientResponseHead,
} from '../src/index.js'
import { httpServer, type Running } from './helpers.js'
import type http from 'node:http'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()
function using<T extends { close(): Promise<void> }>(x: T): T {
  cleanups.push(() => x.close())
  return x
}

let srv: Running<http.Server>
let requests = 0
beforeEach(async () => {
  requests = 0
  srv = using(
    await httpServer((req, res) => {
      requests++
      const u = new URL(req.url!, 'http://x')
      if (u.pathname === '/go') {
        res.writeHead(302, { location: `/status/${u.searchParams.get('to')}?after=redirect` })
        res.end()
        return
      }
      const status = Number(u.pathname.split('/')[2] ?? 200)
      res.writeHead(status, { 'content-type': 'text/plain', 'x-why': `because-${status}` })
      res.end(`body of ${status}`)
    }),
  )
})

async function rejection(p: Promise<unknown>): Promise<HttpStatusError> {
  const err = await p.then(
    () => {
      throw new Error('resolved, expected HttpStatusError')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(HttpStatusError)
  return err as HttpStatusError
}

describe('raiseForStatus on the client', () => {
  it('a 404 → HttpStatusError with status, full URL, method, headers and the unread response', async () => {
    const c = using(new HTTPClient({ raiseForStatus: true }))
    const err = await rejection(c.get(`${srv.url}/status/404`, { params: { q: 'secret' } }))
    expect(err).toBeInstanceOf(SonicError)
    expect(err.code).toBe('SONIC_HTTP_STATUS')
    expect(err.status).toBe(404)
    expect(err.url).toBe(`${srv.url}/status/404?q=secret`)
    expect(err.method).toBe('GET')
    expect(err.message).toContain('404')
    expect(err.message).toContain(`GET ${srv.url}/status/404`)
    expect(err.message).not.toContain('secret')
    expect(err.headers?.get('x-why')).toBe('because-404')
    const res = err.response as HttpResponse
    expect(res).toBeInstanceOf(HttpResponse)
    expect(res.bodyUsed).toBe(false)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('body of 404')
  })

  it('5xx too; statuses below 400 resolve (3xx not followed included)', async () => {
    const c = using(new HTTPClient({ raiseForStatus: true, baseUrl: srv.url }))
    const err = await rejection(c.post('/status/503', { data: 'x' }))
    expect(err.status).toBe(503)
    expect(err.method).toBe('POST')
    await (err.response as HttpResponse).release()
    for (const s of [200, 204, 302, 399]) {
      const res = await c.get(`/status/${s}`)
      expect(res.status).toBe(s)
      await res.release()
    }
  })

  it('off by default: a 500 resolves', async () => {
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const res = await c.get('/status/500')
    expect(res.status).toBe(500)
    await res.release()
  })

  it('the URL is the final one after redirects', async () => {
    const c = using(new HTTPClient({ raiseForStatus: true, baseUrl: srv.url }))
    const err = await rejection(c.get('/go', { params: { to: '410' }, follow: true }))
    expect(err.status).toBe(410)
    expect(err.url).toBe(`${srv.url}/status/410?after=redirect`)
    const res = err.response as HttpResponse
    expect(res.url).toBe(err.url)
    expect(res.history.map((h) => h.status)).toEqual([302])
    await res.release()
  })

  it('with retry: the status error of the last attempt', async () => {
    const c = using(new HTTPClient({ raiseForStatus: true, baseUrl: srv.url, retry: { backoff: () => 1 } }))
    const err = await rejection(c.get('/status/502'))
    expect(err.status).toBe(502)
    expect(requests).toBe(3)
    await (err.response as HttpResponse).release()
  })

  it('releasing err.response gives the connection back', async () => {
    const c = using(new HTTPClient({ raiseForStatus: true, baseUrl: srv.url }))
    const err = await rejection(c.get('/status/400'))
    await (err.response as HttpResponse).release()
    const agent = c.dispatcher as Agent
    expect(agent.stats.busy).toBe(0)
    expect(agent.stats.idle).toBe(1)
  })
})

describe('per request', () => {
  it('a request turns it on over a client without it, and off over a client with it', async () => {
    const off = using(new HTTPClient({ baseUrl: srv.url }))
    const err = await rejection(off.get('/status/401', { raiseForStatus: true }))
    expect(err.status).toBe(401)
    await (err.response as HttpResponse).release()
    const on = using(new HTTPClient({ baseUrl: srv.url, raiseForStatus: true }))
    const res = await on.get('/status/401', { raiseForStatus: false })
    expect(res.status).toBe(401)
    await res.release()
  })

  it('a value other than a boolean is InvalidArgumentError', async () => {
    expect(() => new HTTPClient({ raiseForStatus: 'yes' as unknown as boolean })).toThrow(InvalidArgumentError)
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    await expect(c.get('/status/200', { raiseForStatus: 1 as unknown as boolean })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('the raiseForStatus interceptor alone', () => {
  it('over an Agent: rejects with the head as response', async () => {
    const agent = using(new Agent())
    const send = compose(agent.dispatch, raiseForStatus())
    const u = new URL(srv.url)
    const req = { origin: srv.url, method: 'GET', path: '/status/418?x=1', authority: u.host, scheme: 'http' as const, headers: [], body: null, sockRead: 10_000 }
    const err = await rejection(send(req))
    expect(err.status).toBe(418)
    expect(err.url).toBe(`${srv.url}/status/418?x=1`)
    const head = err.response as ClientResponseHead
    expect(Buffer.from(await head.body.readAll()).toString()).toBe('body of 418')
    const ok = await send({ ...req, path: '/status/201' })
    expect(ok.status).toBe(201)
    await ok.body.cancel()
  })
})
