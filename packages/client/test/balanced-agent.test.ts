// BalancedAgent: one service on three real loopback servers; one is killed mid-run, one drops
// connections, all may be down.
import * as http from 'node:http'
import * as net from 'node:net'
import { createLeakCheck, freePort, fromSource, sleep, start, until, type Started } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { BalancedAgent, ConnectError, ConnectionClosedError, HTTPClient, InvalidArgumentError } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

interface Backend extends Started<http.Server> {
  name: string
  hits: string[]
  origin: string
}

async function backend(name: string, port = 0): Promise<Backend> {
  const hits: string[] = []
  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    hits.push(`${req.method} ${req.url} host=${req.headers.host}`)
    if (req.url === '/hop') {
      res.writeHead(302, { location: '/landed' })
      res.end()
      return
    }
    req.resume()
    req.on('end', () => res.end(name))
  })
  let srv: Started<http.Server>
  if (port === 0) srv = await start(server)
  else {
    // Back on the same port (a restarted host).
    const sockets: net.Socket[] = []
    server.on('connection', (s) => sockets.push(s))
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
    srv = { server, port, sockets, close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }) }
  }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await srv.close()
  }
  cleanups.push(close)
  return { ...srv, close, name, hits, origin: `http://127.0.0.1:${srv.port}` }
}

function balanced(hosts: string[], opts: { failedTimeout?: number } = {}): { agent: BalancedAgent; client: HTTPClient } {
  const agent = new BalancedAgent({ hosts, ...opts })
  const client = new HTTPClient({ dispatcher: agent })
  cleanups.push(() => client.close())
  return { agent, client }
}

const text = async (p: Promise<{ text(): Promise<string> }>) => (await p).text()

describe('BalancedAgent', () => {
  it('relative URLs go round-robin over the hosts, each with its own Host header', async () => {
    const bs = [await backend('a'), await backend('b'), await backend('c')]
    const { client } = balanced(bs.map((b) => b.origin))
    const got: string[] = []
    for (let i = 0; i < 6; i++) got.push(await text(client.get(`/item/${i}`)))
    expect(got).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    expect(bs[1]!.hits[0]).toBe(`GET /item/1 host=127.0.0.1:${bs[1]!.port}`)
    expect(bs.map((b) => b.hits.length)).toEqual([2, 2, 2])
  })

  it('a host killed mid-run is skipped for failedTimeout; no request fails; it is used again once back', async () => {
    const bs = [await backend('a'), await backend('b'), await backend('c')]
    const { agent, client } = balanced(bs.map((b) => b.origin), { failedTimeout: 400 })
    for (let i = 0; i < 3; i++) await text(client.get('/warm'))
    const bPort = bs[1]!.port
    await bs[1]!.close()
    const got: string[] = []
    for (let i = 0; i < 12; i++) got.push(await text(client.get('/after')))
    expect(got).not.toContain('b')
    expect(new Set(got)).toEqual(new Set(['a', 'c']))
    expect(agent.hosts.map((h) => h.healthy)).toEqual([true, false, true])
    // Back on its port, and past failedTimeout: it gets requests again.
    const again = await backend('b2', bPort)
    await sleep(450)
    const later: string[] = []
    for (let i = 0; i < 6; i++) later.push(await text(client.get('/later')))
    expect(later).toContain('b2')
    expect(again.hits.length).toBeGreaterThan(0)
    expect(agent.hosts.every((h) => h.healthy)).toBe(true)
  })

  it('killed while requests are in flight on it: the idempotent ones finish on the other hosts', async () => {
    const held: http.ServerResponse[] = []
    const slow = await start(
      http.createServer((req, res) => {
        held.push(res)
        req.resume()
      }),
    )
    let slowClosed = false
    const killSlow = async () => {
      if (slowClosed) return
      slowClosed = true
      await slow.close()
    }
    cleanups.push(killSlow)
    const a = await backend('a')
    const c = await backend('c')
    const { agent, client } = balanced([a.origin, `http://127.0.0.1:${slow.port}`, c.origin])
    const all = Promise.all(Array.from({ length: 9 }, (_, i) => text(client.get(`/p/${i}`))))
    await until(() => held.length === 3)
    await killSlow()
    const got = await all
    expect(got).toHaveLength(9)
    expect(new Set(got)).toEqual(new Set(['a', 'c']))
    expect(agent.hosts[1]!.healthy).toBe(false)
  })

  it('a request to a dead host moves to the next one, a POST too (nothing was sent)', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`
    const b = await backend('b')
    const { agent, client } = balanced([dead, b.origin])
    expect(await text(client.post('/new', { data: 'payload' }))).toBe('b')
    expect(b.hits).toEqual([`POST /new host=127.0.0.1:${b.port}`])
    expect(agent.hosts[0]!.healthy).toBe(false)
  })

  it('all hosts down → the last ConnectError, after one try of each', async () => {
    const hosts = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`]
    const { agent, client } = balanced(hosts)
    const err = await client.get('/x').then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).message).toContain(hosts[1]!.replace('http://', ''))
    expect(agent.hosts.map((h) => h.healthy)).toEqual([false, false])
    // Failed hosts are still tried when nothing else is left.
    await expect(client.get('/y')).rejects.toBeInstanceOf(ConnectError)
  })

  it('a host that drops fresh connections: GET moves on, POST does not (it may have been processed)', async () => {
    let dropped = 0
    const dropper = await start(
      net.createServer((s) => {
        s.on('error', () => {})
        s.once('data', () => {
          dropped++
          s.destroy()
        })
      }),
    )
    cleanups.push(() => dropper.close())
    const good = await backend('good')
    const { agent, client } = balanced([`http://127.0.0.1:${dropper.port}`, good.origin], { failedTimeout: 60_000 })
    expect(await text(client.get('/idem'))).toBe('good')
    expect(dropped).toBe(1)
    expect(agent.hosts[0]!.healthy).toBe(false)
    // Past failedTimeout the dropper would be first again; a new agent starts with it first.
    const second = balanced([`http://127.0.0.1:${dropper.port}`, good.origin])
    await expect(second.client.post('/once', { data: 'x' })).rejects.toBeInstanceOf(ConnectionClosedError)
    expect(dropped).toBe(2)
    expect(good.hits.filter((h) => h.startsWith('POST'))).toEqual([])
  })

  it("relative redirects stay on the service; absolute URLs of other origins go straight through", async () => {
    const bs = [await backend('a'), await backend('b')]
    const other = await backend('other')
    const { client } = balanced(bs.map((b) => b.origin))
    const res = await client.get('/hop', { follow: true })
    expect(await res.text()).toBe('b')
    expect(bs[0]!.hits).toEqual([`GET /hop host=127.0.0.1:${bs[0]!.port}`])
    expect(bs[1]!.hits).toEqual([`GET /landed host=127.0.0.1:${bs[1]!.port}`])
    expect(await text(client.get(`${other.origin}/direct`))).toBe('other')
    await until(() => other.hits.length === 1)
  })

  it('bad options → InvalidArgumentError', () => {
    expect(() => new BalancedAgent({ hosts: [] })).toThrow(InvalidArgumentError)
    expect(() => new BalancedAgent({ hosts: ['ftp://a'] })).toThrow(InvalidArgumentError)
    expect(() => new BalancedAgent({ hosts: ['http://a/path'] })).toThrow(InvalidArgumentError)
    expect(() => new BalancedAgent({ hosts: ['http://a', 'http://a:80'] })).toThrow(InvalidArgumentError)
    expect(() => new BalancedAgent({ hosts: ['http://a'], failedTimeout: -1 })).toThrow(InvalidArgumentError)
  })
})
