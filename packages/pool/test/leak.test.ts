import { describe, expect, it } from 'vitest'
import { CyclicQueuePool, SmartPool } from '../src/index.js'
import { liveResources, startEchoServer, tcpFactory } from './tcp-fixture.js'

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
