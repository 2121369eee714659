// Pool keys that cannot leak (issue 10): TLS options count by content, not object identity;
// poolConfigs takes host:port and refuses keys it cannot use.
import type http from 'node:http'
import type https from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HTTPClient, InvalidArgumentError, TCPConnector } from '../src/index.js'
import { httpServer, httpsServer, selfSigned, sleep, type Running } from './helpers.js'

let tlsSrv: Running<https.Server>
let tlsConnections = 0
let srv: Running<http.Server>
let connections = 0
beforeAll(async () => {
  tlsSrv = await httpsServer((_req, res) => res.end('secure'))
  tlsSrv.server.on('secureConnection', () => tlsConnections++)
  srv = await httpServer(async (_req, res) => {
    await sleep(30)
    res.end('slow')
  })
  srv.server.on('connection', () => connections++)
})
afterAll(async () => {
  await tlsSrv.close()
  await srv.close()
})

describe('TLS options are keyed by content', () => {
  it('a fresh { ca } object per request shares one pool and one connection', async () => {
    await using c = new HTTPClient()
    const before = tlsConnections
    for (let i = 0; i < 5; i++) {
      expect(await (await c.get(tlsSrv.url, { tls: { ca: selfSigned().cert } })).text()).toBe('secure')
    }
    expect(tlsConnections - before).toBe(1)
  })

  it('different TLS settings still get their own connections', async () => {
    await using c = new HTTPClient()
    const before = tlsConnections
    await (await c.get(tlsSrv.url, { tls: { ca: selfSigned().cert } })).text()
    await (await c.get(tlsSrv.url, { tls: { ca: selfSigned().cert, minVersion: 'TLSv1.2' } })).text()
    await (await c.get(tlsSrv.url, { tls: { ca: selfSigned().cert, servername: 'localhost' } })).text()
    expect(tlsConnections - before).toBe(3)
  })
})

describe('poolConfigs keys', () => {
  it("'host:port' applies to that host and port", async () => {
    const connector = new TCPConnector({ poolConfigs: { [`127.0.0.1:${srv.port}`]: { size: 1 } } })
    await using c = new HTTPClient({ connector })
    const before = connections
    const all = await Promise.all([1, 2, 3].map(() => c.get(srv.url).then((r) => r.text())))
    expect(all).toEqual(['slow', 'slow', 'slow'])
    expect(connections - before).toBe(1)
  })

  it('an origin key with its port, and one with upper-case letters, apply too', async () => {
    for (const key of [`http://127.0.0.1:${srv.port}`, `HTTP://127.0.0.1:${srv.port}/`]) {
      await using c = new HTTPClient({ connector: new TCPConnector({ poolConfigs: { [key]: { size: 1 } } }) })
      const before = connections
      await Promise.all([1, 2].map(() => c.get(srv.url).then((r) => r.text())))
      expect(connections - before).toBe(1)
    }
  })

  it.each(['ftp://example.com', 'http://example.com/path', 'http://u:p@example.com', 'exa mple.com', 'example.com:99999', 'http://[bad', ''])(
    'a key that names no host or origin (%j) is an InvalidArgumentError',
    (key) => {
      expect(() => new TCPConnector({ poolConfigs: { [key]: { size: 1 } } })).toThrow(InvalidArgumentError)
    },
  )
})

describe('empty pools are dropped', () => {
  it('pools of one-off settings do not pile up once their connections are gone', async () => {
    const closing = await httpServer((_req, res) => {
      res.setHeader('connection', 'close')
      res.end('bye')
    })
    try {
      const connector = new TCPConnector()
      await using c = new HTTPClient({ connector })
      // Each sockConnect value is its own pool; the server closes every connection.
      for (let i = 0; i < 300; i++) {
        expect(await (await c.get(closing.url, { timeouts: { sockConnect: 5000 + i } })).text()).toBe('bye')
      }
      expect(connector.pools.size).toBeLessThanOrEqual(128)
      // A pool with a kept-alive connection is not dropped.
      await (await c.get(srv.url)).text()
      for (let i = 0; i < 300; i++) await (await c.get(closing.url, { timeouts: { sockConnect: 9000 + i } })).text()
      expect([...connector.pools.values()].some((e) => e.target.port === srv.port)).toBe(true)
    } finally {
      await closing.close()
    }
  })
})

describe('sockConnect is applied per connect, not in the pool key', () => {
  it('requests with different connect timeouts share one pool and its kept-alive connection', async () => {
    let connections = 0
    const srv = await httpServer((_q, r) => r.end('ok'))
    srv.server.on('connection', () => connections++)
    try {
      const connector = new TCPConnector()
      await using c = new HTTPClient({ connector })
      for (let i = 0; i < 5; i++) expect(await (await c.get(srv.url, { timeouts: { sockConnect: 1000 + i } })).text()).toBe('ok')
      expect(connector.pools.size).toBe(1)
      expect(connections).toBe(1)
    } finally {
      await srv.close()
    }
  })

  it('a new connection is made with the connect timeout of the request that needed it', async () => {
    const connector = new TCPConnector({
      connectionFactory: async (target) => {
        seen.push(target.sockConnect)
        throw new Error('no network here')
      },
    })
    const seen: (number | null)[] = []
    await using c = new HTTPClient({ connector })
    await c.get('http://127.0.0.1:9/', { timeouts: { sockConnect: 1234 } }).catch(() => {})
    await c.get('http://127.0.0.1:9/').catch(() => {})
    expect(seen).toEqual([1234, 5000])
    expect(connector.pools.size).toBe(1)
  })
})
