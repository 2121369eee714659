// Http2MultiplexPool with real HTTP/2 sessions: coalescing on a cold origin, 1,000 concurrent
// streams on a server that allows 100, GOAWAY mid-load, a dead session leaving the pool, and a
// failed connect shared by the acquires that waited for it.
import { constants } from 'node:http2'
import { describe, expect, it } from 'vitest'
import { ConnectError, type HttpRequest, type HttpResponseHead } from '@sonic/core'
import { freePort } from '@sonic/test-utils'
import { Http2MultiplexPool, isRetryableHttp2Error, type Http2Connection } from '../src/index.js'
import { connectTo, leaks, makeRequest, sleep, startH2, text, until, type H2Server } from './helpers.js'

const cleanups = leaks.useCleanups()

/** A pool of sessions to `server`, counting the connects. */
function poolFor(server: { port: number; origin: string }, size = 30) {
  const stats = { connects: 0 }
  const pool = new Http2MultiplexPool<Http2Connection>({ size }, async () => {
    stats.connects++
    return connectTo(server)
  })
  cleanups.push(() => pool.close())
  return { pool, stats }
}

/** What a dispatcher does: borrow, send, release when the body is read; a retryable failure goes once more to another session. */
async function fetchText(pool: Http2MultiplexPool<Http2Connection>, origin: string, req: HttpRequest, retried = false): Promise<string> {
  const conn = await pool.acquire(origin)
  let head: HttpResponseHead
  try {
    head = await conn.request(req)
  } catch (err) {
    pool.release(conn)
    if (!retried && isRetryableHttp2Error(err)) return fetchText(pool, origin, req, true)
    throw err
  }
  try {
    return await text(head.body)
  } finally {
    pool.release(conn)
  }
}

function echoServer(delayMs: number, settings: { maxConcurrentStreams: number }): Promise<H2Server> {
  return startH2(
    (stream, headers) => {
      setTimeout(() => {
        if (stream.destroyed) return
        stream.respond({ ':status': 200 })
        stream.end(String(headers[':path']))
      }, delayMs)
    },
    { settings },
  )
}

describe('Http2MultiplexPool', () => {
  it('coalesces: 500 requests on a cold origin make one connect', async () => {
    const server = await echoServer(5, { maxConcurrentStreams: 1000 })
    cleanups.push(() => server.close())
    const { pool, stats } = poolFor(server)
    const bodies = await Promise.all(Array.from({ length: 500 }, (_, i) => fetchText(pool, server.origin, makeRequest({ path: `/${i}`, sockRead: 20000 }))))
    expect(bodies.every((b, i) => b === `/${i}`)).toBe(true)
    expect(stats.connects).toBe(1)
    expect(server.sessions.length).toBe(1)
    expect(pool.stats).toMatchObject({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
  })

  it('1,000 concurrent streams on a server that allows 100: all answered, sessions opened as needed, never above the limit', async () => {
    const server = await echoServer(30, { maxConcurrentStreams: 100 })
    cleanups.push(() => server.close())
    const { pool, stats } = poolFor(server)
    const bodies = await Promise.all(Array.from({ length: 1000 }, (_, i) => fetchText(pool, server.origin, makeRequest({ path: `/${i}`, sockRead: 20000 }))))
    expect(bodies.every((b, i) => b === `/${i}`)).toBe(true)
    expect(stats.connects).toBeGreaterThanOrEqual(2)
    expect(stats.connects).toBeLessThanOrEqual(10)
    expect(server.sessions.length).toBe(stats.connects)
    expect(server.maxPerSession()).toBeLessThanOrEqual(100)
    expect(server.maxPerSession()).toBeGreaterThan(50)
  })

  it('the pool size bounds the sessions: 600 requests, limit 100, size 2', async () => {
    const server = await echoServer(10, { maxConcurrentStreams: 100 })
    cleanups.push(() => server.close())
    const { pool, stats } = poolFor(server, 2)
    const bodies = await Promise.all(Array.from({ length: 600 }, (_, i) => fetchText(pool, server.origin, makeRequest({ path: `/${i}`, sockRead: 20000 }))))
    expect(bodies.every((b, i) => b === `/${i}`)).toBe(true)
    expect(stats.connects).toBe(2)
  })

  it('GOAWAY mid-load: streams in flight finish, new ones go to a new session', async () => {
    let served = 0
    const server = await startH2((stream, headers) => {
      served++
      if (served === 20) {
        // The first session goes away once 20 streams reached it; those finish normally.
        const session = stream.session!
        setTimeout(() => session.goaway(constants.NGHTTP2_NO_ERROR, 2 * 20 - 1), 5)
      }
      setTimeout(() => {
        if (stream.destroyed) return
        stream.respond({ ':status': 200 })
        stream.end(String(headers[':path']))
      }, 40)
    })
    cleanups.push(() => server.close())
    const { pool, stats } = poolFor(server)
    const first = Array.from({ length: 20 }, (_, i) => fetchText(pool, server.origin, makeRequest({ path: `/a${i}` })))
    await until(() => served >= 20)
    await until(() => stats.connects === 1 && server.sessions.length === 1)
    await sleep(30) // the GOAWAY has arrived
    const second = Array.from({ length: 20 }, (_, i) => fetchText(pool, server.origin, makeRequest({ path: `/b${i}` })))
    const bodies = await Promise.all([...first, ...second])
    expect(bodies).toEqual([...Array.from({ length: 20 }, (_, i) => `/a${i}`), ...Array.from({ length: 20 }, (_, i) => `/b${i}`)])
    expect(stats.connects).toBe(2)
    await until(() => pool.stats.idle === 1 && pool.stats.busy === 0)
  })

  it('streams above the GOAWAY’s last stream id fail as retryable and succeed once resent', async () => {
    let n = 0
    const server = await startH2((stream, headers) => {
      n++
      if (n === 1) {
        // Stream 1 will be answered; everything after it is refused by the GOAWAY.
        stream.session!.goaway(constants.NGHTTP2_NO_ERROR, 1)
        setTimeout(() => {
          stream.respond({ ':status': 200 })
          stream.end(String(headers[':path']))
        }, 30)
        return
      }
      stream.respond({ ':status': 200 })
      stream.end(String(headers[':path']))
    })
    cleanups.push(() => server.close())
    const { pool, stats } = poolFor(server)
    const bodies = await Promise.all(Array.from({ length: 10 }, (_, i) => fetchText(pool, server.origin, makeRequest({ path: `/${i}` }))))
    expect(bodies).toEqual(Array.from({ length: 10 }, (_, i) => `/${i}`))
    expect(stats.connects).toBe(2)
  })

  it('a dead session leaves the pool: the next acquire opens a new one', async () => {
    const server = await echoServer(1, { maxConcurrentStreams: 100 })
    cleanups.push(() => server.close())
    const { pool, stats } = poolFor(server)
    expect(await fetchText(pool, server.origin, makeRequest({ path: '/one' }))).toBe('/one')
    for (const s of server.sockets) s.destroy()
    await until(() => server.sessions.every((s) => s.destroyed))
    await sleep(20)
    expect(await fetchText(pool, server.origin, makeRequest({ path: '/two' }))).toBe('/two')
    expect(stats.connects).toBe(2)
  })

  it('a failed connect rejects every acquire that coalesced onto it, after one attempt', async () => {
    const port = await freePort()
    const { pool, stats } = poolFor({ port, origin: `http://127.0.0.1:${port}` })
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => pool.acquire(`http://127.0.0.1:${port}`)))
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof ConnectError)).toBe(true)
    expect(stats.connects).toBe(1)
    expect(pool.stats).toMatchObject({ busy: 0, idle: 0, connecting: 0, waiting: 0 })
  })
})
