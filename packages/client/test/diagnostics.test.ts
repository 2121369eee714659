// diagnostics_channel events of the agent, subscribed with node:diagnostics_channel, against real
// servers on 127.0.0.1.
import * as dc from 'node:diagnostics_channel'
import * as http from 'node:http'
import * as https from 'node:https'
import { createLeakCheck, freePort, fromSource, makeCerts, start } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { ConnectError, HTTPClient, HttpHeaders } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

const NAMES = ['sonic:request:create', 'sonic:request:headers', 'sonic:request:error', 'sonic:connection:connected'] as const

/** Subscribes to every sonic channel for this test; returns the events in order. */
function record(): Array<{ name: string; message: any }> {
  const events: Array<{ name: string; message: any }> = []
  for (const name of NAMES) {
    const fn = (message: unknown) => events.push({ name, message })
    dc.subscribe(name, fn)
    cleanups.push(() => dc.unsubscribe(name, fn))
  }
  return events
}

async function server() {
  const srv = await start(
    http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/final?x=1' })
        res.end()
        return
      }
      res.setHeader('x-served', 'yes')
      res.end('hello')
    }),
  )
  cleanups.push(() => srv.close())
  return srv
}

function client(): HTTPClient {
  const c = new HTTPClient()
  cleanups.push(() => c.close())
  return c
}

describe('diagnostics_channel', () => {
  it('create, connected, headers, in that order, with the documented messages', async () => {
    const srv = await server()
    const events = record()
    const c = client()
    const res = await c.get(`http://127.0.0.1:${srv.port}/a?b=1`, { headers: { 'x-trace': 't1' } })
    await res.text()
    expect(events.map((e) => e.name)).toEqual(['sonic:request:create', 'sonic:connection:connected', 'sonic:request:headers'])
    const [create, connected, headers] = events.map((e) => e.message)
    expect(create.request).toMatchObject({ method: 'GET', origin: `http://127.0.0.1:${srv.port}`, path: '/a?b=1' })
    const h = create.request.headers as string[]
    expect(h[h.indexOf('x-trace') + 1]).toBe('t1')
    expect(connected).toEqual({ origin: `http://127.0.0.1:${srv.port}`, alpn: null, timings: { dns: null, connect: expect.any(Number), tls: null } })
    expect(headers.request).toBe(create.request)
    expect(headers.response.status).toBe(200)
    expect(headers.response.headers).toBeInstanceOf(HttpHeaders)
    expect(headers.response.headers.get('x-served')).toBe('yes')
    // The same record as res.timings: end filled in once the body was read.
    expect(headers.timings).toBe(res.timings)
    expect(headers.timings.end).not.toBeNull()
  })

  it('a redirect: one create and one headers per hop; a reused connection connects once', async () => {
    const srv = await server()
    const events = record()
    const c = client()
    await (await c.get(`http://127.0.0.1:${srv.port}/redirect`, { follow: true })).text()
    expect(events.map((e) => e.name)).toEqual([
      'sonic:request:create',
      'sonic:connection:connected',
      'sonic:request:headers',
      'sonic:request:create',
      'sonic:request:headers',
    ])
    expect(events[3]!.message.request.path).toBe('/final?x=1')
    expect(events[4]!.message.response.status).toBe(200)
  })

  it('https: connected reports the ALPN protocol and the TLS phase', async () => {
    const certs = makeCerts()
    const srv = await start(https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (_req, res) => res.end('tls')))
    cleanups.push(() => srv.close())
    const events = record()
    const c = client()
    await (await c.get(`https://127.0.0.1:${srv.port}/`, { tls: { ca: certs.ca.cert } })).text()
    const connected = events.find((e) => e.name === 'sonic:connection:connected')!.message
    expect(connected.origin).toBe(`https://127.0.0.1:${srv.port}`)
    expect(connected.alpn).toBe('http/1.1')
    expect(connected.timings.tls).toBeGreaterThanOrEqual(connected.timings.connect)
  })

  it('a refused connection: create then error, with the typed error', async () => {
    const port = await freePort()
    const events = record()
    const c = client()
    await expect(c.get(`http://127.0.0.1:${port}/nope`)).rejects.toBeInstanceOf(ConnectError)
    expect(events.map((e) => e.name)).toEqual(['sonic:request:create', 'sonic:request:error'])
    const { request, error } = events[1]!.message
    expect(request).toMatchObject({ method: 'GET', path: '/nope' })
    expect(error).toBeInstanceOf(ConnectError)
  })

  it('nobody subscribed: nothing published, requests work', async () => {
    const srv = await server()
    for (const name of NAMES) expect(dc.channel(name).hasSubscribers).toBe(false)
    const c = client()
    expect(await (await c.get(`http://127.0.0.1:${srv.port}/`)).text()).toBe('hello')
  })

  it('only the error channel subscribed: only errors arrive', async () => {
    const port = await freePort()
    const got: unknown[] = []
    const fn = (m: unknown) => got.push(m)
    dc.subscribe('sonic:request:error', fn)
    cleanups.push(() => dc.unsubscribe('sonic:request:error', fn))
    const c = client()
    await expect(c.get(`http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(ConnectError)
    expect(got).toHaveLength(1)
  })
})
