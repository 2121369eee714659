// res.timings and res.reused through HTTPClient, against real servers on 127.0.0.1.
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import { createLeakCheck, fromSource, makeCerts, sleep, start, until, type TestCerts } from '@sonic/test-utils'
import { beforeAll, describe, expect, it } from 'vitest'
import { Agent, HTTPClient, TCPConnector, type Resolver } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()
let certs: TestCerts
beforeAll(() => {
  certs = makeCerts()
})

async function server(handler: http.RequestListener) {
  const srv = await start(http.createServer({ keepAliveTimeout: 5000 }, handler))
  cleanups.push(() => srv.close())
  return srv
}

function client(opts: ConstructorParameters<typeof HTTPClient>[0] = {}): HTTPClient {
  const c = new HTTPClient(opts)
  cleanups.push(() => c.close())
  return c
}

/** A resolver that answers every name with 127.0.0.1 (no system lookups). */
function loopbackResolver(): Resolver {
  return {
    resolve: async (host: string, port = 0) => [{ hostname: host, host: '127.0.0.1', port, family: 4 as const }],
    close: async () => {},
  }
}

describe('res.timings', () => {
  it('a new plain connection: connect timed, no dns (IP literal) nor tls; end set once the body is read', async () => {
    const srv = await server((_req, res) => {
      res.write('a')
      setTimeout(() => res.end('b'), 30)
    })
    const c = client()
    const res = await c.get(`http://127.0.0.1:${srv.port}/`)
    const t = res.timings!
    expect(res.reused).toBe(false)
    expect(t.dns).toBeNull()
    expect(t.tls).toBeNull()
    expect(t.connect).not.toBeNull()
    expect(t.queued).toBeGreaterThanOrEqual(0)
    expect(t.connect!).toBeGreaterThanOrEqual(t.queued)
    expect(t.firstByte).toBeGreaterThanOrEqual(t.connect!)
    expect(t.end).toBeNull()
    expect(await res.text()).toBe('ab')
    expect(t.end).not.toBeNull()
    expect(t.end!).toBeGreaterThanOrEqual(t.firstByte)
    expect(JSON.parse(JSON.stringify(t))).toEqual({ queued: t.queued, dns: null, connect: t.connect, tls: null, firstByte: t.firstByte, end: t.end })
  })

  it('a reused keep-alive connection: reused, no connect phases', async () => {
    const srv = await server((_req, res) => res.end('ok'))
    const c = client()
    const url = `http://127.0.0.1:${srv.port}/`
    const first = await c.get(url)
    await first.text()
    const second = await c.get(url)
    await second.text()
    expect(first.reused).toBe(false)
    expect(second.reused).toBe(true)
    expect(second.timings!.connect).toBeNull()
    expect(second.timings!.dns).toBeNull()
    expect(second.timings!.tls).toBeNull()
    expect(second.timings!.firstByte).toBeGreaterThanOrEqual(second.timings!.queued)
    expect(srv.sockets.length).toBe(1)
  })

  it('a host name: dns timed before connect', async () => {
    const srv = await server((_req, res) => res.end('ok'))
    const c = client({ connector: new TCPConnector({ resolver: loopbackResolver() }) })
    const res = await c.get(`http://svc.test:${srv.port}/`)
    await res.text()
    const t = res.timings!
    expect(t.dns).not.toBeNull()
    expect(t.connect!).toBeGreaterThanOrEqual(t.dns!)
  })

  it('https: tls timed after connect', async () => {
    const srv = await start(https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (_req, res) => res.end('ok')))
    cleanups.push(() => srv.close())
    const c = client()
    const res = await c.get(`https://127.0.0.1:${srv.port}/`, { tls: { ca: certs.ca.cert } })
    await res.text()
    const t = res.timings!
    expect(t.tls).not.toBeNull()
    expect(t.tls!).toBeGreaterThanOrEqual(t.connect!)
    expect(t.firstByte).toBeGreaterThanOrEqual(t.tls!)
  })

  it('HEAD and empty bodies: end is set at once', async () => {
    const srv = await server((_req, res) => {
      res.statusCode = 204
      res.end()
    })
    const c = client()
    const res = await c.get(`http://127.0.0.1:${srv.port}/`)
    expect(res.timings!.end).not.toBeNull()
  })

  it('queued counts the wait for a busy pool slot', async () => {
    let releaseSlow: () => void = () => {}
    const srv = await server((req, res) => {
      if (req.url === '/slow') releaseSlow = () => res.end('slow')
      else res.end('fast')
    })
    const c = client({ connector: new Agent({ poolConfigs: { ':default': { size: 1 } } }) })
    const slow = c.get(`http://127.0.0.1:${srv.port}/slow`).then((r) => r.text())
    await until(() => srv.sockets.length === 1)
    await sleep(20)
    const fastP = c.get(`http://127.0.0.1:${srv.port}/fast`)
    // The fast one cannot get the only connection before the slow answer is released.
    await sleep(100)
    releaseSlow()
    const fast = await fastP
    await fast.text()
    expect(await slow).toBe('slow')
    expect(fast.timings!.queued).toBeGreaterThanOrEqual(90)
    expect(fast.timings!.firstByte).toBeGreaterThanOrEqual(fast.timings!.queued)
    expect(fast.reused).toBe(true)
  })

  it('a body cut short by the server fails, and end is still set', async () => {
    const raw = await start(
      net.createServer((s) => {
        s.on('error', () => {})
        s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'))
      }),
    )
    cleanups.push(() => raw.close())
    const c = client()
    const res = await c.get(`http://127.0.0.1:${raw.port}/`)
    await expect(res.text()).rejects.toThrow()
    expect(res.timings!.end).not.toBeNull()
  })
})
