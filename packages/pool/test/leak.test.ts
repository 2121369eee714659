import { describe, expect, it } from 'vitest'
import { CyclicQueuePool, SmartPool } from '../src/index.js'
import { liveResources, startEchoServer, tcpFactory } from './tcp-fixture.js'
import { muxFactory, startMuxServer, type MuxConnection } from './mux-fixture.js'

describe.each([
  ['SmartPool', SmartPool],
  ['CyclicQueuePool', CyclicQueuePool],
] as const)('%s after 10,000 acquire/release', (_name, PoolClass) => {
  it('leaves no socket, handle or timer behind once closed', async () => {
    const before = liveResources()
    const server = await startEchoServer()
    const factory = tcpFactory()
    // maxConnRequests makes the pool recycle connections along the way.
    const pool = new PoolClass({ size: 8, maxConnRequests: 400, maxConnIdleMs: 30000 }, factory)
    const workers = 16
    const perWorker = 625 // 16 × 625 = 10,000
    let done = 0
    let maxBusy = 0
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = 0; i < perWorker; i++) {
          const conn = await pool.acquire(server.origin, null, 10000)
          maxBusy = Math.max(maxBusy, pool.stats.busy)
          // Every 10th round trip goes over the socket; the rest only borrow and return.
          if (i % 10 === 0) expect(await conn.request(`${w}:${i}`)).toBe(`${w}:${i}`)
          else conn.requestCount++
          pool.release(conn)
          done++
        }
      }),
    )
    expect(done).toBe(10000)
    expect(maxBusy).toBeLessThanOrEqual(8)
    // 10,000 requests / 400 per connection: at least 25 connections were made, at most 8 at once.
    expect(factory.made.length).toBeGreaterThanOrEqual(25)
    expect(factory.made.filter((c) => !c.closed).length).toBeLessThanOrEqual(8)
    expect(pool.isAllFree()).toBe(true)

    await pool.close()
    await Promise.all(factory.made.map((c) => c.closedPromise))
    expect(factory.made.every((c) => c.socket.destroyed)).toBe(true)
    expect(pool.stats).toEqual({ busy: 0, idle: 0, connecting: 0, waiting: 0 })
    // The server saw every connection close too.
    expect(await server.drained()).toBe(0)
    await server.close()
    const after = liveResources()
    expect(after.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0)
    expect(after.TCPServerWrap ?? 0).toBe(before.TCPServerWrap ?? 0)
    // The test runner has timers of its own that come and go; the pool must not add any.
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0)
  })
})

describe.each([
  ['SmartPool', SmartPool],
  ['CyclicQueuePool', CyclicQueuePool],
] as const)('%s sharing connections over 4,000 acquire/release', (_name, PoolClass) => {
  it('with cancels, discards and a detach, leaves no socket, handle or timer behind once closed', async () => {
    const before = liveResources()
    const server = await startMuxServer({ capacity: 4 })
    const factory = muxFactory()
    const pool = new PoolClass({ size: 3, maxConnRequests: 150, maxConnIdleMs: 30000 }, factory)
    const detached: MuxConnection[] = []
    let maxBorrowed = 0
    let maxBusy = 0
    let answered = 0
    let failed = 0
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 250; i++) {
          const conn = await pool.acquire(server.origin, null, 10000)
          maxBorrowed = Math.max(maxBorrowed, pool.borrowed)
          maxBusy = Math.max(maxBusy, pool.stats.busy + pool.stats.connecting)
          const n = w * 250 + i
          try {
            if (n % 50 === 7) {
              // An exchange cancelled half-way: the connection goes on.
              const ac = new AbortController()
              const pending = conn.request(`c${n}`, 1000, ac.signal)
              ac.abort()
              await pending.catch(() => {})
            } else if (n % 5 === 0) {
              if ((await conn.request(`${n}`, n % 3)) === `${n}`) answered++
            } else {
              conn.requestCount++
            }
          } catch {
            failed++ // its connection was discarded by another borrower
            pool.discard(conn)
            continue
          }
          if (n === 1234) {
            pool.detach(conn)
            detached.push(conn)
          } else if (n % 997 === 0) {
            pool.discard(conn)
          } else {
            pool.release(conn)
          }
        }
      }),
    )
    expect(answered + failed).toBeGreaterThanOrEqual(700)
    expect(maxBorrowed).toBeLessThanOrEqual(12)
    expect(maxBorrowed).toBeGreaterThan(3)
    expect(maxBusy).toBeLessThanOrEqual(3)
    expect(pool.isAllFree()).toBe(true)
    expect(server.inFlight).toBe(0)

    await pool.close()
    expect(detached).toHaveLength(1)
    expect(detached[0]!.closed).toBe(false) // close() left the detached one alone
    for (const c of detached) c.destroy()
    await Promise.all(factory.made.map((c) => c.closedPromise))
    expect(factory.made.every((c) => c.socket.destroyed)).toBe(true)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 0, waiting: 0 })
    expect(await server.drained()).toBe(0)
    await server.close()
    const after = liveResources()
    expect(after.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0)
    expect(after.TCPServerWrap ?? 0).toBe(before.TCPServerWrap ?? 0)
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0)
  })
})
