import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AbortError, InvalidArgumentError, PoolAcquireTimeoutError } from '@sonic/core'
import { CyclicQueuePool, SmartPool } from '../src/index.js'
import { sleep, startEchoServer, tcpFactory, type EchoServer } from './tcp-fixture.js'

let server: EchoServer
beforeAll(async () => {
  server = await startEchoServer()
})
afterAll(() => server.close())

describe.each([
  ['SmartPool', SmartPool],
  ['CyclicQueuePool', CyclicQueuePool],
] as const)('%s limits', (_name, PoolClass) => {
  it('never holds more than size connections under 200 concurrent acquires', async () => {
    const factory = tcpFactory()
    const pool = new PoolClass({ size: 5 }, factory)
    const acceptedBefore = server.accepted
    let inUse = 0
    let maxInUse = 0
    let maxHeld = 0
    const work = Array.from({ length: 200 }, async (_, i) => {
      const conn = await pool.acquire(server.origin)
      inUse++
      maxInUse = Math.max(maxInUse, inUse)
      const s = pool.stats
      maxHeld = Math.max(maxHeld, s.busy + s.idle + s.connecting)
      const answer = await conn.request(`r${i}`)
      inUse--
      pool.release(conn)
      return answer
    })
    const answers = await Promise.all(work)
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`))
    expect(maxInUse).toBe(5)
    expect(maxHeld).toBeLessThanOrEqual(5)
    expect(factory.made).toHaveLength(5)
    expect(server.accepted - acceptedBefore).toBe(5)
    expect(pool.isAllFree()).toBe(true)
    expect(pool.stats).toEqual({ busy: 0, idle: 5, connecting: 0, waiting: 0 })
    await pool.close()
  })

  it('serves waiters strictly in order', async () => {
    const pool = new PoolClass({ size: 1 }, tcpFactory())
    const first = await pool.acquire(server.origin)
    const served: number[] = []
    const waiters = Array.from({ length: 5 }, (_, i) =>
      pool.acquire(server.origin).then((conn) => {
        served.push(i)
        return conn
      }),
    )
    expect(pool.stats.waiting).toBe(5)
    expect(pool.freeConns()).toBe(0)
    pool.release(first)
    for (const w of waiters) {
      const conn = await w
      expect(conn).toBe(first) // handed straight over, no new connection
      pool.release(conn)
    }
    expect(served).toEqual([0, 1, 2, 3, 4])
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    await pool.close()
  })

  it('rejects a waiter with PoolAcquireTimeoutError after timeoutMs and forgets it', async () => {
    const pool = new PoolClass({ size: 1 }, tcpFactory())
    const held = await pool.acquire(server.origin)
    const err = await pool.acquire(server.origin, null, 50).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PoolAcquireTimeoutError)
    expect((err as PoolAcquireTimeoutError).code).toBe('SONIC_POOL_ACQUIRE_TIMEOUT')
    expect((err as PoolAcquireTimeoutError).timeout).toBe(50)
    expect(pool.stats.waiting).toBe(0)
    // The connection released later is not handed to the waiter that gave up.
    pool.release(held)
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    // A waiter served in time is not rejected later by its timer.
    const again = await pool.acquire(server.origin)
    const served = pool.acquire(server.origin, null, 100)
    pool.release(again)
    expect(await served).toBe(again)
    await sleep(150)
    pool.release(again)
    expect(pool.isAllFree()).toBe(true)
    await pool.close()
  })

  it('rejects with AbortError (cause: the reason) when the signal aborts while waiting', async () => {
    const pool = new PoolClass({ size: 1 }, tcpFactory())
    const held = await pool.acquire(server.origin)
    const ac = new AbortController()
    const waiting = pool.acquire(server.origin, ac.signal).catch((e: unknown) => e)
    const other = pool.acquire(server.origin)
    expect(pool.stats.waiting).toBe(2)
    const reason = new Error('user gave up')
    ac.abort(reason)
    const err = await waiting
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).name).toBe('AbortError')
    expect((err as AbortError).cause).toBe(reason)
    expect(pool.stats.waiting).toBe(1)
    // The next waiter, not the aborted one, gets the connection.
    pool.release(held)
    expect(await other).toBe(held)
    pool.release(held)
    // An already aborted signal fails at once.
    await expect(pool.acquire(server.origin, AbortSignal.abort('no'))).rejects.toBeInstanceOf(AbortError)
    expect(pool.stats).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 })
    await pool.close()
  })

  it('validates origin and timeoutMs', async () => {
    const pool = new PoolClass({ size: 1 }, tcpFactory())
    await expect(pool.acquire('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(pool.acquire(server.origin, null, -1)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(pool.acquire(server.origin, null, Number.NaN)).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(() => new PoolClass({ size: 0 }, tcpFactory())).toThrow(InvalidArgumentError)
    expect(() => new PoolClass({}, null as never)).toThrow(InvalidArgumentError)
    expect(pool.isAllFree()).toBe(true)
    await pool.close()
  })
})
