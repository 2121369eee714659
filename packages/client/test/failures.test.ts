// Misbehaving servers, timeouts, pools, retries and leaks.
import type http from 'node:http'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  AbortError,
  ConnectError,
  ConnectTimeoutError,
  ConnectionClosedError,
  HTTPClient,
  HttpParserError,
  PoolAcquireTimeoutError,
  ReadTimeoutError,
  RequestTimeoutError,
  TCPConnector,
} from '../src/index.js'
import { activeNetAndTimers, httpServer, netServer, sleep, type Running, useCleanups } from './helpers.js'

const using = useCleanups()

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'

describe('timeouts', () => {
  it('sockRead: a server that never answers → ReadTimeoutError', async () => {
    const srv = using(await netServer(() => {}))
    const c = using(new HTTPClient())
    const err = await c.get(srv.url, { timeouts: { sockRead: 100 } }).catch((e) => e)
    expect(err).toBeInstanceOf(ReadTimeoutError)
    expect(err.code).toBe('SONIC_READ_TIMEOUT')
  })

  it('sockRead: a body that stalls → ReadTimeoutError while reading', async () => {
    const srv = using(await netServer((s) => s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))))
    const c = using(new HTTPClient())
    const res = await c.get(srv.url, { timeouts: { sockRead: 100 } })
    await expect(res.bytes()).rejects.toBeInstanceOf(ReadTimeoutError)
  })

  it('requestTimeout: a trickling body faster than sockRead → RequestTimeoutError', async () => {
    const srv = using(
      await netServer((s) => {
        s.once('data', () => {
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n')
          const t = setInterval(() => s.write('x'), 20)
          s.on('close', () => clearInterval(t))
        })
      }),
    )
    const c = using(new HTTPClient())
    const res = await c.get(srv.url, { timeouts: { sockRead: 500, requestTimeout: 200 } })
    const err = await res.bytes().catch((e) => e)
    expect(err).toBeInstanceOf(RequestTimeoutError)
  })

  it('requestTimeout covers the wait for the head too', async () => {
    const srv = using(await netServer(() => {}))
    const c = using(new HTTPClient())
    await expect(c.get(srv.url, { timeouts: { sockRead: null, requestTimeout: 100 } })).rejects.toBeInstanceOf(RequestTimeoutError)
  })

  it('sockConnect: a TLS handshake that never completes → ConnectTimeoutError', async () => {
    const srv = using(await netServer(() => {}))
    const c = using(new HTTPClient())
    const err = await c.get(`https://127.0.0.1:${srv.port}/`, { timeouts: { sockConnect: 100 } }).catch((e) => e)
    expect(err).toBeInstanceOf(ConnectTimeoutError)
  })

  it('poolAcquire: all connections busy → PoolAcquireTimeoutError', async () => {
    const srv = using(await httpServer((_q, r) => r.end('x')))
    const c = using(new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } } }) }))
    const held = await c.get(srv.url) // body not read: the connection stays busy
    await expect(c.get(srv.url, { timeouts: { poolAcquire: 50 } })).rejects.toBeInstanceOf(PoolAcquireTimeoutError)
    await held.release()
    expect((await (await c.get(srv.url)).text())).toBe('x')
  })

  it('waitRequests returns false while a request hangs', async () => {
    const srv = using(await netServer(() => {}))
    const c = using(new HTTPClient())
    const p = c.get(srv.url, { timeouts: { sockRead: 300 } }).catch((e) => e)
    expect(await c.waitRequests(50)).toBe(false)
    expect(await p).toBeInstanceOf(ReadTimeoutError)
    expect(await c.waitRequests(50)).toBe(true)
  })
})

describe('misbehaving servers', () => {
  it('connection refused → ConnectError with the OS error as cause', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise((r) => probe.close(r))
    const c = using(new HTTPClient())
    const err = await c.get(`http://127.0.0.1:${port}/`).catch((e) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  it('close mid-body → ConnectionClosedError', async () => {
    const srv = using(await netServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'))))
    const c = using(new HTTPClient())
    const res = await c.get(srv.url)
    await expect(res.bytes()).rejects.toBeInstanceOf(ConnectionClosedError)
  })

  it('garbage → HttpParserError', async () => {
    const srv = using(await netServer((s) => s.once('data', () => s.end('SMTP ready\r\n\r\n'))))
    const c = using(new HTTPClient())
    await expect(c.get(srv.url)).rejects.toBeInstanceOf(HttpParserError)
  })

  it('a GET that meets a reset reused keep-alive connection is retried once on a new one', async () => {
    let connections = 0
    const srv = using(
      await netServer((s) => {
        connections++
        let served = 0
        s.on('data', () => {
          if (served++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok')
          else s.destroy() // the second request on this socket dies before any byte
        })
      }),
    )
    const c = using(new HTTPClient())
    expect(await (await c.get(srv.url)).text()).toBe('ok')
    expect(await (await c.get(srv.url)).text()).toBe('ok')
    expect(connections).toBe(2)
  })

  it('a POST on a reset reused connection is never retried', async () => {
    let requests = 0
    const srv = using(
      await netServer((s) => {
        let served = 0
        s.on('data', () => {
          requests++
          if (served++ === 0) s.write(OK)
          else s.destroy()
        })
      }),
    )
    const c = using(new HTTPClient())
    await (await c.get(srv.url)).bytes()
    const err = await c.post(srv.url, { data: 'once' }).catch((e) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    await sleep(50)
    expect(requests).toBe(2)
  })
})

describe('pools, aborts and leaks', () => {
  it('never opens more than size connections', async () => {
    let open = 0
    let maxOpen = 0
    const srv: Running<http.Server> = using(
      await httpServer((_q, r) => setTimeout(() => r.end('x'), 5)),
    )
    srv.server.on('connection', (s) => {
      open++
      maxOpen = Math.max(maxOpen, open)
      s.on('close', () => open--)
    })
    const c = using(new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 4 } } }) }))
    await Promise.all(Array.from({ length: 60 }, async () => (await c.get(srv.url)).text()))
    expect(maxOpen).toBeLessThanOrEqual(4)
    expect(maxOpen).toBeGreaterThan(1)
  })

  it('a user abort during the body frees the connection for the next request', async () => {
    let conns = 0
    const srv = using(
      await netServer((s) => {
        const n = ++conns
        s.on('data', () => s.write(n === 1 ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial' : OK))
      }),
    )
    const c = using(new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } } }) }))
    const ac = new AbortController()
    const res = await c.get(srv.url, { signal: ac.signal })
    const reading = res.bytes().catch((e) => e)
    await sleep(20)
    ac.abort()
    expect(await reading).toBeInstanceOf(AbortError)
    // the pool slot is free again: a new connection can be made at once
    const res2 = await c.get(srv.url, { timeouts: { poolAcquire: 200 } })
    expect(await res2.text()).toBe('ok')
    expect(conns).toBe(2)
  })

  it('release() on a body whose rest never comes returns quickly and frees the slot', async () => {
    let conns = 0
    const srv = using(
      await netServer((s) => {
        conns++
        s.on('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'))
      }),
    )
    const c = using(new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } } }) }))
    const res = await c.get(srv.url)
    await res.release() // drains briefly, then closes the stalled connection
    const res2 = await c.get(srv.url, { timeouts: { poolAcquire: 2000 } })
    expect(res2.status).toBe(200)
    expect(conns).toBe(2)
    await res2.release()
  })

  it('abort while waiting for the head → AbortError', async () => {
    const srv = using(await netServer(() => {}))
    const c = using(new HTTPClient())
    const ac = new AbortController()
    const p = c.get(srv.url, { signal: ac.signal }).catch((e) => e)
    await sleep(20)
    ac.abort()
    expect(await p).toBeInstanceOf(AbortError)
  })

  it('10,000 requests leave no socket or timer behind', async () => {
    const srv = await httpServer((_q, r) => r.end('ok'))
    const before = activeNetAndTimers().length
    const c = new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 10 } } }) })
    let done = 0
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 1000; i++) {
          const res = await c.get(srv.url)
          if ((await res.text()) === 'ok') done++
        }
      }),
    )
    await c.close()
    await srv.close()
    await sleep(20)
    expect(done).toBe(10000)
    expect(activeNetAndTimers().length).toBeLessThanOrEqual(before)
  }, 60000)

  it('a large download is backpressured: a reader that stops stops the server', async () => {
    const total = 64 * 1024 * 1024
    let sent = 0
    const srv = using(
      await httpServer((_q, r) => {
        r.setHeader('content-length', String(total))
        const chunk = Buffer.alloc(64 * 1024, 1)
        const pump = () => {
          while (sent < total) {
            sent += chunk.length
            if (!r.write(chunk)) return void r.once('drain', pump)
          }
          r.end()
        }
        pump()
      }),
    )
    const c = using(new HTTPClient())
    const res = await c.get(srv.url)
    const it = res.readChunks()[Symbol.asyncIterator]()
    let got = (await it.next()).value!.length
    await sleep(300) // the consumer stalls; without backpressure the server would push all 64 MiB now
    const sentWhileStalled = sent
    expect(sentWhileStalled).toBeLessThan(16 * 1024 * 1024)
    for (;;) {
      const r = await it.next()
      if (r.done) break
      got += r.value.length
    }
    expect(got).toBe(total)
  }, 30000)
})
