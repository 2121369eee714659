import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AbortError, ClientClosedError, ConnectError, type ConnectionFactory } from '@sonic/core'
import { CyclicQueuePool, SmartPool } from '../src/index.js'
import { liveResources, sleep, startEchoServer, tcpFactory, type EchoServer, type TcpConnection } from './tcp-fixture.js'

let server: EchoServer
let other: EchoServer
beforeAll(async () => {
  server = await startEchoServer()
  other = await startEchoServer()
})
afterAll(async () => {
  await server.close()
  await other.close()
})

describe('connection lifecycle', () => {
  it('replaces a connection once it served maxConnRequests requests', async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 2, maxConnRequests: 3 }, factory)
    const first = await pool.acquire(server.origin)
    await first.request('1')
    for (let i = 2; i <= 3; i++) {
      pool.release(first)
      const conn = await pool.acquire(server.origin)
      expect(conn).toBe(first)
      await conn.request(String(i))
    }
    expect(first.requestCount).toBe(3)
    pool.release(first) // used up: destroyed, not kept
    await first.closedPromise
    expect(pool.stats).toEqual({ busy: 0, idle: 0, connecting: 0, waiting: 0 })
    const next = await pool.acquire(server.origin)
    expect(next).not.toBe(first)
    expect(factory.made).toHaveLength(2)
    pool.release(next)
    await pool.close()
  })

  it('closes idle connections after maxConnIdleMs, with timers that do not keep the process alive', async () => {
    const before = liveResources()
    const pool = new CyclicQueuePool({ size: 2, maxConnIdleMs: 100 }, tcpFactory())
    const conn = await pool.acquire(server.origin)
    // A busy connection keeps the process alive (its socket is ref'd)…
    expect(liveResources().TCPSocketWrap).toBe((before.TCPSocketWrap ?? 0) + 1)
    pool.release(conn)
    expect(pool.stats.idle).toBe(1)
    // …an idle one and its idle timer do not (the server's sockets are unref'd by the fixture).
    expect(liveResources()).toEqual(before)
    await sleep(200)
    expect(pool.stats.idle).toBe(0)
    expect(conn.socket.destroyed).toBe(true)
    expect(pool.freeConns()).toBe(2)
    await pool.close()
  })

  it("shortens a connection's idle life to its server's keep-alive timeout", async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 2, maxConnIdleMs: 60000 }, factory)
    const [short, long] = await Promise.all([pool.acquire(server.origin), pool.acquire(server.origin)])
    short.keepAliveTimeout = 300 // idle life 150 ms (half of a keep-alive under 1 s)
    pool.release(short)
    pool.release(long)
    expect(pool.stats.idle).toBe(2)
    await sleep(250)
    expect(short.socket.destroyed).toBe(true)
    expect(long.socket.destroyed).toBe(false)
    expect(pool.stats.idle).toBe(1)
    // keep-alive timeout 0: the server does not keep connections, so neither does the pool.
    const conn = await pool.acquire(server.origin)
    expect(conn).toBe(long)
    conn.keepAliveTimeout = 0
    pool.release(conn)
    expect(pool.stats.idle).toBe(0)
    expect(conn.socket.destroyed).toBe(true)
    await pool.close()
  })

  it('never hands out an idle connection the server closed', async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 2 }, factory)
    const [a, b] = await Promise.all([pool.acquire(server.origin), pool.acquire(server.origin)])
    pool.release(a)
    pool.release(b) // b is the most recent: LIFO would pick it
    await server.hangUp(b)
    const got = await pool.acquire(server.origin)
    expect(got).toBe(a)
    expect(await got.request('still alive')).toBe('still alive')
    expect(pool.stats).toEqual({ busy: 1, idle: 0, connecting: 0, waiting: 0 })
    // When every idle connection is dead, a new one is made.
    pool.release(a)
    await server.hangUp(a)
    const fresh = await pool.acquire(server.origin)
    expect(fresh).not.toBe(a)
    expect(factory.made).toHaveLength(3)
    expect(await fresh.request('new')).toBe('new')
    pool.release(fresh)
    await pool.close()
  })

  it('a factory failure rejects only its acquirer, unchanged, and frees the slot for the next', async () => {
    const refused = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port
        s.close(() => resolve(port))
      })
    })
    const good = tcpFactory()
    const errors: unknown[] = []
    let calls = 0
    // The first two attempts dial a closed port; later ones reach the echo server.
    const factory: ConnectionFactory<TcpConnection> = (origin, signal) => {
      calls++
      const target = calls <= 2 ? `http://127.0.0.1:${refused}` : origin
      return good(target, signal).catch((err: unknown) => {
        errors.push(err)
        throw err
      })
    }
    const pool = new SmartPool({ size: 1 }, factory)
    const attempts = [pool.acquire(server.origin), pool.acquire(server.origin), pool.acquire(server.origin)].map((p) =>
      p.then(
        (conn) => ({ conn }),
        (err: unknown) => ({ err }),
      ),
    )
    const [r1, r2, r3] = await Promise.all(attempts)
    expect((r1 as { err: unknown }).err).toBe(errors[0])
    expect((r1 as { err: unknown }).err).toBeInstanceOf(ConnectError)
    expect(((r1 as { err: ConnectError }).err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    expect((r2 as { err: unknown }).err).toBe(errors[1])
    const conn = (r3 as { conn: TcpConnection }).conn
    expect(await conn.request('third')).toBe('third')
    expect(pool.stats).toEqual({ busy: 1, idle: 0, connecting: 0, waiting: 0 })
    pool.release(conn)
    await pool.close()
  })

  it('an abort while connecting rejects the acquirer; the connection then serves the pool', async () => {
    const base = tcpFactory()
    const slow: ConnectionFactory<TcpConnection> = async (origin) => {
      await sleep(80)
      return base(origin)
    }
    const pool = new SmartPool({ size: 1 }, slow)
    const ac = new AbortController()
    const pending = pool.acquire(server.origin, ac.signal).catch((e: unknown) => e)
    expect(pool.stats.connecting).toBe(1)
    ac.abort()
    expect(await pending).toBeInstanceOf(AbortError)
    await sleep(150)
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    expect(await pool.acquire(server.origin)).toBe(base.made[0])
    await pool.close()
  })

  it('cleanup() closes idle connections only', async () => {
    const factory = tcpFactory()
    const pool = new CyclicQueuePool({ size: 4 }, factory)
    const conns = await Promise.all([1, 2, 3].map(() => pool.acquire(server.origin)))
    pool.release(conns[0]!)
    pool.release(conns[1]!)
    await pool.cleanup()
    await Promise.all([conns[0]!.closedPromise, conns[1]!.closedPromise])
    expect(conns[2]!.closed).toBe(false)
    expect(pool.stats).toEqual({ busy: 1, idle: 0, connecting: 0, waiting: 0 })
    expect(await conns[2]!.request('busy one')).toBe('busy one')
    pool.release(conns[2]!)
    await pool.close()
  })

  it('close() rejects waiters and later acquires, and destroys every connection', async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 2 }, factory)
    const [a, b] = await Promise.all([pool.acquire(server.origin), pool.acquire(server.origin)])
    pool.release(b)
    const held = await pool.acquire(server.origin)
    const waiters = [pool.acquire(server.origin, null, 10000), pool.acquire(server.origin)].map((p) => p.catch((e: unknown) => e))
    await pool.close()
    for (const err of await Promise.all(waiters)) expect(err).toBeInstanceOf(ClientClosedError)
    await Promise.all([a!.closedPromise, held.closedPromise])
    await expect(pool.acquire(server.origin)).rejects.toBeInstanceOf(ClientClosedError)
    pool.release(a!) // ignored after close
    expect(pool.stats).toEqual({ busy: 0, idle: 0, connecting: 0, waiting: 0 })
    await pool.close() // twice is fine
  })

  it('close() tells busy connections why they die (ClientClosedError); idle ones just close', async () => {
    const pool = new SmartPool<TcpConnection>({ size: 2 }, tcpFactory())
    const busy = await pool.acquire(server.origin)
    const idle = await pool.acquire(server.origin)
    pool.release(idle)
    await pool.close()
    expect(busy.destroyReasons).toHaveLength(1)
    expect(busy.destroyReasons[0]).toBeInstanceOf(ClientClosedError)
    expect(idle.destroyReasons).toEqual([undefined])
  })

  it('ignores a second release and a foreign connection; discard() frees the slot', async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 1 }, factory)
    const conn = await pool.acquire(server.origin)
    pool.release(conn)
    pool.release(conn)
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    const foreign = await tcpFactory()(server.origin)
    pool.release(foreign)
    expect(foreign.closed).toBe(false)
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    pool.discard(foreign) // not ours: destroyed, counts untouched
    await foreign.closedPromise
    expect(pool.stats.idle).toBe(1)
    // discard of a borrowed connection destroys it and gives the slot to the waiter.
    const again = await pool.acquire(server.origin)
    const waiter = pool.acquire(server.origin)
    pool.discard(again)
    await again.closedPromise
    const replacement = await waiter
    expect(replacement).not.toBe(again)
    expect(await replacement.request('ok')).toBe('ok')
    pool.release(replacement)
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    await pool.close()
  })

  it('shares its slots between origins: an idle connection to another origin makes room', async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 1 }, factory)
    const toServer = await pool.acquire(server.origin)
    pool.release(toServer)
    const toOther = await pool.acquire(other.origin)
    expect(toOther.origin).toBe(other.origin)
    await toServer.closedPromise // evicted to stay within size
    // A waiter for another origin gets the slot of a released connection.
    const waiter = pool.acquire(server.origin)
    pool.release(toOther)
    const back = await waiter
    expect(back.origin).toBe(server.origin)
    await toOther.closedPromise
    expect(await back.request('ok')).toBe('ok')
    pool.release(back)
    expect(factory.made.map((c) => c.origin)).toEqual([server.origin, other.origin, server.origin])
    await pool.close()
  })
})
