// fetch's redirects as the Fetch standard has them: every code, the three modes, the limit of 20,
// method and body rewriting, credentials dropped across origins — against real servers on 127.0.0.1.
import * as http from 'node:http'
import { createLeakCheck, fromSource, start } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { Agent, createFetch, InvalidArgumentError, MaxRedirectsError, type FetchFunction } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

interface Echo {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

/** /r/<code>/<n>?to=<url>: n more redirects with <code>, then to `to` (or /final). */
async function server() {
  const hits: string[] = []
  const srv = await start(
    http.createServer({ keepAliveTimeout: 5000 }, async (req, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      hits.push(`${req.method} ${req.url}`)
      const u = new URL(req.url!, 'http://x')
      const m = /^\/r\/(\d+)\/(\d+)$/.exec(u.pathname)
      if (m !== null) {
        const n = Number(m[2])
        const to = n > 1 ? `/r/${m[1]}/${n - 1}${u.search}` : (u.searchParams.get('to') ?? '/final')
        res.writeHead(Number(m[1]), { location: to, 'content-type': 'text/plain' })
        res.end(`redirecting to ${to}`)
        return
      }
      if (u.pathname === '/nolocation') {
        res.writeHead(302)
        res.end('no location')
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }))
    }),
  )
  cleanups.push(() => srv.close())
  return { ...srv, url: `http://127.0.0.1:${srv.port}`, hits }
}

function client(): FetchFunction {
  const agent = new Agent()
  cleanups.push(() => agent.close())
  return createFetch({ dispatcher: agent })
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('fetch redirects: follow (the default)', () => {
  it.each([301, 302, 303, 307, 308])('%i is followed; url and redirected tell the final URL', async (code) => {
    const srv = await server()
    const f = client()
    const res = await f(`${srv.url}/r/${code}/2`)
    expect(res.status).toBe(200)
    expect(res.redirected).toBe(true)
    expect(res.url).toBe(`${srv.url}/final`)
    const e = (await res.json()) as Echo
    expect(e.method).toBe('GET')
    expect(srv.hits).toEqual([`GET /r/${code}/2`, `GET /r/${code}/1`, 'GET /final'])
    // The intermediate bodies were released: one connection did it all.
    expect(srv.sockets.length).toBe(1)
  })

  it.each([301, 302, 303])('POST + %i → GET without the body or its headers', async (code) => {
    const srv = await server()
    const f = client()
    const e = (await (await f(`${srv.url}/r/${code}/1`, { method: 'POST', body: 'payload', headers: { 'x-keep': 'yes' } })).json()) as Echo
    expect(e.method).toBe('GET')
    expect(e.body).toBe('')
    expect(e.headers['content-type']).toBeUndefined()
    expect(e.headers['content-length']).toBeUndefined()
    expect(e.headers['x-keep']).toBe('yes')
  })

  it('303 turns PUT into GET and keeps HEAD as HEAD; 301 keeps PUT', async () => {
    const srv = await server()
    const f = client()
    expect(((await (await f(`${srv.url}/r/303/1`, { method: 'PUT', body: 'x' })).json()) as Echo).method).toBe('GET')
    const head = await f(`${srv.url}/r/303/1`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(srv.hits.at(-1)).toBe('HEAD /final')
    const put = (await (await f(`${srv.url}/r/301/1`, { method: 'PUT', body: 'kept' })).json()) as Echo
    expect(put.method).toBe('PUT')
    expect(put.body).toBe('kept')
  })

  it.each([307, 308])('%i resends the method and a byte body', async (code) => {
    const srv = await server()
    const f = client()
    const e = (await (await f(`${srv.url}/r/${code}/1`, { method: 'POST', body: 'again' })).json()) as Echo
    expect(e.method).toBe('POST')
    expect(e.body).toBe('again')
    expect(e.headers['content-type']).toBe('text/plain;charset=UTF-8')
  })

  it('307 with a stream body cannot be followed → TypeError', async () => {
    const srv = await server()
    const f = client()
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('once'))
        c.close()
      },
    })
    const err = await rejection(f(`${srv.url}/r/307/1`, { method: 'POST', body, duplex: 'half' }))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).cause).toBeInstanceOf(InvalidArgumentError)
  })

  it('20 redirects are followed; the 21st → TypeError whose cause is MaxRedirectsError', async () => {
    const srv = await server()
    const f = client()
    const ok = await f(`${srv.url}/r/302/20`)
    expect(ok.status).toBe(200)
    await ok.text()
    const err = await rejection(f(`${srv.url}/r/302/21`))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).cause).toBeInstanceOf(MaxRedirectsError)
  })

  it('a redirect without Location is the response', async () => {
    const srv = await server()
    const f = client()
    const res = await f(`${srv.url}/nolocation`)
    expect(res.status).toBe(302)
    expect(res.redirected).toBe(false)
    expect(await res.text()).toBe('no location')
  })

  it('a Location to another scheme or that does not parse → TypeError', async () => {
    const srv = await server()
    const f = client()
    for (const to of ['ftp://127.0.0.1/x', 'http://[bad']) {
      const err = await rejection(f(`${srv.url}/r/302/1?to=${encodeURIComponent(to)}`))
      expect(err).toBeInstanceOf(TypeError)
      expect((err as TypeError).cause).toBeInstanceOf(InvalidArgumentError)
    }
  })

  it('to another origin: Authorization and Cookie are dropped; same origin keeps them', async () => {
    const a = await server()
    const b = await server()
    const f = client()
    const headers = { authorization: 'Bearer t', cookie: 'c=1', 'x-other': 'o' }
    const same = (await (await f(`${a.url}/r/302/1`, { headers })).json()) as Echo
    expect(same.headers.authorization).toBe('Bearer t')
    expect(same.headers.cookie).toBe('c=1')
    const res = await f(`${a.url}/r/302/1?to=${encodeURIComponent(`${b.url}/there`)}`, { headers })
    expect(res.url).toBe(`${b.url}/there`)
    const cross = (await res.json()) as Echo
    expect(cross.headers.authorization).toBeUndefined()
    expect(cross.headers.cookie).toBeUndefined()
    expect(cross.headers['x-other']).toBe('o')
    expect(cross.headers.host).toBe(`127.0.0.1:${b.port}`)
  })
})

describe('fetch redirects: manual and error', () => {
  it.each([301, 302, 303, 307, 308])("manual: the %i itself is returned, its body readable", async (code) => {
    const srv = await server()
    const f = client()
    const res = await f(`${srv.url}/r/${code}/1`, { redirect: 'manual' })
    expect(res.status).toBe(code)
    expect(res.redirected).toBe(false)
    expect(res.headers.get('location')).toBe('/final')
    expect(await res.text()).toBe('redirecting to /final')
    expect(srv.hits).toEqual([`GET /r/${code}/1`])
  })

  it('manual taken from a Request', async () => {
    const srv = await server()
    const f = client()
    const res = await f(new Request(`${srv.url}/r/302/1`, { redirect: 'manual' }))
    expect(res.status).toBe(302)
    await res.text()
  })

  it.each([301, 302, 303, 307, 308])('error: a %i → TypeError, the connection kept', async (code) => {
    const srv = await server()
    const f = client()
    const err = await rejection(f(`${srv.url}/r/${code}/1`, { redirect: 'error' }))
    expect(err).toBeInstanceOf(TypeError)
    const after = await f(`${srv.url}/x`)
    expect(after.status).toBe(200)
    await after.text()
    expect(srv.sockets.length).toBe(1)
  })
})
