// retry: statuses, methods, limits, Retry-After, network failures, one-shot bodies, aborts during
// the wait, per-request overrides, redirects — against real servers on loopback.
import type http from 'node:http'
import type net from 'node:net'
import { createLeakCheck, fromSource } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import {
  AbortError,
  Agent,
  compose,
  ConnectionClosedError,
  HTTPClient,
  InvalidArgumentError,
  retry,
  TCPConnector,
} from '../src/index.js'
import { httpServer, netServer, readBody } from './helpers.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()
function using<T extends { close(): Promise<void> | void }>(x: T): T {
  cleanups.push(() => x.close())
  return x
}

/** A server answering each request with the next status of `plan` (then 200), counting requests and connections. */
async function flaky(plan: number[], extra: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => boolean = () => false) {
  const seen: { method: string; url: string; body: string }[] = []
  let connections = 0
  const srv = using(
    await httpServer(async (req, res) => {
      const body = (await readBody(req)).toString()
      seen.push({ method: req.method!, url: req.url!, body })
      const n = seen.length
      if (extra(req, res, n)) return
      const status = plan[n - 1] ?? 200
      res.statusCode = status
      res.setHeader('content-type', 'text/plain')
      res.end(`answer ${n} (${status})`)
    }),
  )
  srv.server.on('connection', () => connections++)
  return { srv, seen, connections: () => connections }
}

const quick = { backoff: () => 1 }

/** The status of a response, its body released (so its connection and deadline end). */
async function statusOf(p: Promise<{ status: number; release(): Promise<void> }>): Promise<number> {
  const res = await p
  await res.release()
  return res.status
}

describe('retry on statuses', () => {
  it('a 503 twice then 200: resolves with the 200, the retried bodies drained on one connection', async () => {
    const { srv, seen, connections } = await flaky([503, 503])
    const attempts: number[] = []
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { backoff: (a) => (attempts.push(a), 1) } }))
    const res = await c.get('/x')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('answer 3 (200)')
    expect(seen.length).toBe(3)
    expect(attempts).toEqual([1, 2])
    expect(connections()).toBe(1)
  })

  it('after the last attempt it resolves with the last response (limit 2 → 3 requests)', async () => {
    const { srv, seen } = await flaky([500, 502, 504, 500])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    const res = await c.get('/x')
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('answer 3 (504)')
    expect(seen.length).toBe(3)
  })

  it('a status not listed is not retried; statusCodes replaces the list', async () => {
    const { srv, seen } = await flaky([404, 418, 418])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    expect(await statusOf(c.get('/x'))).toBe(404)
    expect(seen.length).toBe(1)
    expect(await statusOf(c.get('/x', { retry: { ...quick, statusCodes: [418] } }))).toBe(200)
    expect(seen.length).toBe(4)
  })

  it('never retries POST or PATCH unless the method is listed', async () => {
    const { srv, seen } = await flaky([503, 503, 503])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    expect(await statusOf(c.post('/x', { data: 'a' }))).toBe(503)
    expect(seen.length).toBe(1)
    const res = await c.post('/x', { data: 'b', retry: { ...quick, methods: ['post'] } })
    expect(res.status).toBe(200)
    await res.release()
    expect(seen.length).toBe(4)
    expect(seen.slice(1).map((s) => s.body)).toEqual(['b', 'b', 'b'])
  })

  it('a replayable body (bytes, urlencoded) is sent again with each PUT', async () => {
    const { srv, seen } = await flaky([503])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    expect(await statusOf(c.put('/x', { data: { a: '1', b: '2' } }))).toBe(200)
    expect(seen.map((s) => [s.method, s.body])).toEqual([
      ['PUT', 'a=1&b=2'],
      ['PUT', 'a=1&b=2'],
    ])
  })

  it('a one-shot stream body is not retried: the first outcome is the answer', async () => {
    const { srv, seen } = await flaky([503, 503])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    async function* once() {
      yield 'one-'
      yield 'shot'
    }
    const res = await c.put('/x', { data: once() })
    expect(res.status).toBe(503)
    await res.release()
    expect(seen.map((s) => s.body)).toEqual(['one-shot'])
  })

  it('retry: a number is the limit; false or 0 turns a client retry off for one request', async () => {
    const { srv, seen } = await flaky([503, 503, 503, 503, 503, 503, 503])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { ...quick, limit: 3 } }))
    expect(await statusOf(c.get('/x', { retry: false }))).toBe(503)
    expect(seen.length).toBe(1)
    expect(await statusOf(c.get('/x', { retry: 0 }))).toBe(503)
    expect(seen.length).toBe(2)
    expect(await statusOf(c.get('/x'))).toBe(503)
    expect(seen.length).toBe(6)
    const plain = using(new HTTPClient({ baseUrl: srv.url }))
    expect(await statusOf(plain.get('/x', { retry: 1 }))).toBe(200)
    expect(seen.length).toBe(8)
  })

  it('off by default', async () => {
    const { srv, seen } = await flaky([503])
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    expect(await statusOf(c.get('/x'))).toBe(503)
    expect(seen.length).toBe(1)
  })

  it('runs on each redirect hop', async () => {
    const hops: string[] = []
    const { srv, seen } = await flaky([], (req, res, n) => {
      hops.push(req.url!)
      if (req.url === '/start') {
        res.writeHead(n === 1 ? 503 : 302, n === 1 ? {} : { location: '/end' })
        res.end()
        return true
      }
      if (req.url === '/end' && hops.filter((h) => h === '/end').length === 1) {
        res.writeHead(502)
        res.end()
        return true
      }
      return false
    })
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    const res = await c.get('/start', { follow: true })
    expect(res.status).toBe(200)
    await res.release()
    expect(hops).toEqual(['/start', '/start', '/end', '/end'])
    expect(res.history.map((h) => h.status)).toEqual([302])
    expect(seen.length).toBe(4)
  })
})

describe('Retry-After', () => {
  it('seconds: waits that long instead of the backoff', async () => {
    const { srv, seen } = await flaky([], (_req, res, n) => {
      if (n > 1) return false
      res.writeHead(503, { 'retry-after': '1' })
      res.end()
      return true
    })
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { backoff: () => 60_000 } }))
    const t0 = performance.now()
    expect(await statusOf(c.get('/x'))).toBe(200)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950)
    expect(seen.length).toBe(2)
  })

  it('an HTTP-date: waits until then', async () => {
    const { srv, seen } = await flaky([], (_req, res, n) => {
      if (n > 1) return false
      res.writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() })
      res.end()
      return true
    })
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { backoff: () => 60_000 } }))
    const t0 = performance.now()
    expect(await statusOf(c.get('/x'))).toBe(200)
    // The date has second precision: somewhere between 1 and 2 s from the answer.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900)
    expect(seen.length).toBe(2)
  })

  it('longer than maxDelay: no retry, the response is returned', async () => {
    const { srv, seen } = await flaky([], (_req, res) => {
      res.writeHead(503, { 'retry-after': '120' })
      res.end('busy')
      return true
    })
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { ...quick, maxDelay: 5000 } }))
    const res = await c.get('/x')
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('busy')
    expect(seen.length).toBe(1)
  })
})

describe('network failures before a response', () => {
  async function dropsFirst(n: number) {
    let connections = 0
    const srv = using(
      await netServer((s: net.Socket) => {
        connections++
        if (connections <= n) {
          s.once('data', () => s.destroy())
          return
        }
        s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'))
      }),
    )
    return { srv, connections: () => connections }
  }

  it('a connection closed before the head is retried on a new connection', async () => {
    const { srv, connections } = await dropsFirst(2)
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    const res = await c.get('/x')
    expect(await res.text()).toBe('ok')
    expect(connections()).toBe(3)
  })

  it('after the last attempt it rejects with the last error', async () => {
    const { srv, connections } = await dropsFirst(100)
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { ...quick, limit: 3 } }))
    const err = await c.get('/x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect((err as ConnectionClosedError).method).toBe('GET')
    expect(connections()).toBe(4)
  })

  it('a refused connection is retried (ConnectError), then rejects', async () => {
    const { srv } = await dropsFirst(0)
    const port = srv.port
    await srv.close()
    const attempts: number[] = []
    const c = using(new HTTPClient({ retry: { backoff: (a) => (attempts.push(a), 1) } }))
    const err = await c.get(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)
    expect((err as Error).name).toBe('ConnectError')
    expect(attempts).toEqual([1, 2])
  })

  it('a read timeout waiting for the head is retried', async () => {
    let connections = 0
    const srv = using(
      await netServer((sock: net.Socket) => {
        connections++
        // The first connection never answers; the next ones do.
        if (connections > 1) sock.on('data', () => sock.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlate'))
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    const res = await c.get('/x', { timeouts: { sockRead: 300 } })
    expect(await res.text()).toBe('late')
    expect(connections).toBe(2)
  })

  it('a POST that failed is not retried', async () => {
    const { srv, connections } = await dropsFirst(1)
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: quick }))
    expect(await c.post('/x', { data: 'x' }).catch((e: unknown) => e)).toBeInstanceOf(ConnectionClosedError)
    expect(connections()).toBe(1)
  })
})

describe('aborts and leaks', () => {
  it('an abort during the backoff wait rejects at once with AbortError and leaves no timer', async () => {
    const { srv, seen } = await flaky([503, 503])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { backoff: () => 20_000 } }))
    const ac = new AbortController()
    const p = c.get('/x', { signal: ac.signal })
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5))
    await new Promise((r) => setTimeout(r, 50))
    const t0 = performance.now()
    ac.abort()
    const err = await p.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect(performance.now() - t0).toBeLessThan(5000)
    expect(seen.length).toBe(1)
    // The leak check after this test fails if the 20 s timer were still armed.
  })

  it('a requestTimeout shorter than the wait: the response is returned, not waited for', async () => {
    const { srv, seen } = await flaky([503, 503])
    const c = using(new HTTPClient({ baseUrl: srv.url, retry: { backoff: () => 20_000 }, connector: new TCPConnector({ timeouts: { requestTimeout: 3000 } }) }))
    const res = await c.get('/x')
    expect(res.status).toBe(503)
    expect(seen.length).toBe(1)
    await res.release()
  })
})

describe('the retry interceptor alone', () => {
  it('composes over an Agent (defaults: limit 2, idempotent methods)', async () => {
    const { srv, seen } = await flaky([503, 503, 503])
    const agent = using(new Agent())
    const send = compose(agent.dispatch, retry({ ...quick }))
    const u = new URL(srv.url)
    const head = await send({ origin: srv.url, method: 'GET', path: '/y', authority: u.host, scheme: 'http', headers: [], body: null, sockRead: 10_000 })
    expect(head.status).toBe(503)
    await head.body.cancel()
    expect(seen.length).toBe(3)
  })

  it('bad options are InvalidArgumentError', () => {
    expect(() => retry({ limit: -1 })).toThrow(InvalidArgumentError)
    expect(() => retry({ limit: 1.5 })).toThrow(InvalidArgumentError)
    expect(() => retry({ maxDelay: Number.NaN })).toThrow(InvalidArgumentError)
    expect(() => retry({ methods: 'GET' as unknown as string[] })).toThrow(InvalidArgumentError)
    expect(() => new HTTPClient({ retry: { statusCodes: ['503' as unknown as number] } })).toThrow(InvalidArgumentError)
  })
})
