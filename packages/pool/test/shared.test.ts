import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AbortError, PoolAcquireTimeoutError } from '@sonic/core'
import { CyclicQueuePool, SmartPool } from '../src/index.js'
import { sleep } from './tcp-fixture.js'
import { muxFactory, startMuxServer, type MuxConnection, type MuxServer } from './mux-fixture.js'

let server: MuxServer // capacity 3
let single: MuxServer // capacity 1
beforeAll(async () => {
  server = await startMuxServer({ capacity: 3 })
  single = await startMuxServer({ capacity: 1 })
})
afterAll(async () => {
  await server.close()
  await single.close()
})

const idleStats = { busy: 0, borrowed: 0, idle: 1, connecting: 0, waiting: 0 }

/** Acquires `n` times from `pool`, one after the other. */
async function borrow(pool: SmartPool<MuxConnection> | CyclicQueuePool<MuxConnection>, n: number, origin = server.origin) {
  const out: MuxConnection[] = []
  for (let i = 0; i < n; i++) out.push(await pool.acquire(origin))
  return out
}

describe.each([
  ['SmartPool', SmartPool],
  ['CyclicQueuePool', CyclicQueuePool],
] as const)('%s with shared connections', (_name, PoolClass) => {
  it('lends one connection to capacity borrowers at once and opens no other while it has room', async () => {
    const factory = muxFactory()
    const pool = new PoolClass({ size: 4 }, factory)
    const [conn, ...others] = await borrow(pool, 3)
    expect(conn!.capacity).toBe(3)
    for (const c of others) expect(c).toBe(conn)
    expect(factory.made).toHaveLength(1)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 3, idle: 0, connecting: 0, waiting: 0 })
    // Three exchanges at once on the one socket, answered out of order, each to its own asker.
    const arrived: string[] = []
    const ask = (text: string, delay: number) => conn!.request(text, delay).then((a) => (arrived.push(a), a))
    expect(await Promise.all([ask('a', 60), ask('b', 30), ask('c', 0)])).toEqual(['a', 'b', 'c'])
    expect(arrived).toEqual(['c', 'b', 'a'])
    expect(conn!.maxInFlight).toBe(3)
    for (let i = 0; i < 3; i++) pool.release(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual(idleStats)
    expect(conn!.idleCalls).toEqual([true]) // idle once its last borrower released it
    expect(await pool.acquire(server.origin)).toBe(conn)
    expect(conn!.idleCalls).toEqual([true, false])
    pool.release(conn!)
    await pool.close()
  })

  it('makes borrower capacity + 1 wait, and serves the waiters in order as borrows come back', async () => {
    const pool = new PoolClass({ size: 1 }, muxFactory())
    const [conn] = await borrow(pool, 3)
    const served: number[] = []
    const waiters = [0, 1].map((i) => pool.acquire(server.origin).then((c) => (served.push(i), c)))
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 3, idle: 0, connecting: 0, waiting: 2 })
    expect(pool.freeConns()).toBe(0)
    const inFlight = conn!.request('still going', 50)
    pool.release(conn!)
    expect(await waiters[0]).toBe(conn) // the freed borrow, on the same connection
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 3, idle: 0, connecting: 0, waiting: 1 })
    pool.release(conn!)
    expect(await waiters[1]).toBe(conn)
    expect(served).toEqual([0, 1])
    expect(await inFlight).toBe('still going')
    for (let i = 0; i < 3; i++) pool.release(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual(idleStats)
    await pool.close()
  })

  it('follows capacity changes: no new borrower above a lowered one, waiters served when it grows', async () => {
    const pool = new PoolClass({ size: 1 }, muxFactory())
    const [conn] = await borrow(pool, 3)
    await server.setCapacity(conn!, 1)
    const first = pool.acquire(server.origin)
    pool.release(conn!)
    pool.release(conn!)
    // Two borrowers left, one left: still at or above capacity 1, so the waiter waits.
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 1, idle: 0, connecting: 0, waiting: 1 })
    expect(pool.freeConns()).toBe(0)
    pool.release(conn!)
    expect(await first).toBe(conn)
    const second = pool.acquire(server.origin)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 1, idle: 0, connecting: 0, waiting: 1 })
    // It grows again: the pool sees it at its next event (here a newcomer, who queues behind).
    await server.setCapacity(conn!, 3)
    const third = pool.acquire(server.origin)
    expect(await second).toBe(conn)
    expect(await third).toBe(conn)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 3, idle: 0, connecting: 0, waiting: 0 })
    // A release after a rise serves as many waiters as now fit, at once.
    await server.setCapacity(conn!, 1)
    pool.release(conn!)
    pool.release(conn!)
    const later = [1, 2, 3].map(() => pool.acquire(server.origin))
    expect(pool.stats.waiting).toBe(3)
    await server.setCapacity(conn!, 4)
    pool.release(conn!)
    for (const c of await Promise.all(later)) expect(c).toBe(conn)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 3, idle: 0, connecting: 0, waiting: 0 })
    expect(await Promise.all(['x', 'y', 'z'].map((t) => conn!.request(t, 5)))).toEqual(['x', 'y', 'z'])
    for (let i = 0; i < 3; i++) pool.release(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual(idleStats)
    await pool.close()
  })

  it('size 2 × capacity 3: at most 2 connections and 6 exchanges at once under 60 concurrent acquires', async () => {
    const mux = await startMuxServer({ capacity: 3 })
    const factory = muxFactory()
    const pool = new PoolClass({ size: 2 }, factory)
    let maxBorrowed = 0
    let maxBusy = 0
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const conn = await pool.acquire(mux.origin)
        maxBorrowed = Math.max(maxBorrowed, pool.borrowed)
        maxBusy = Math.max(maxBusy, pool.stats.busy + pool.stats.connecting)
        const answer = await conn.request(`r${i}`, 10)
        pool.release(conn)
        return answer
      }),
    )
    expect(answers).toEqual(Array.from({ length: 60 }, (_, i) => `r${i}`))
    expect(factory.made).toHaveLength(2)
    expect(mux.accepted).toBe(2)
    expect(maxBusy).toBe(2)
    expect(maxBorrowed).toBe(6)
    expect(mux.maxInFlight).toBe(6)
    for (const c of factory.made) expect(c.maxInFlight).toBe(3)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 2, connecting: 0, waiting: 0 })
    await pool.close()
    await mux.close()
  })

  it('a cancelled exchange ends alone: the others are answered and the connection stays live and reusable', async () => {
    const factory = muxFactory()
    const pool = new PoolClass({ size: 1 }, factory)
    const [conn] = await borrow(pool, 3)
    const ac = new AbortController()
    const one = conn!.request('one', 40)
    const two = conn!.request('two', 1000, ac.signal).catch((e: unknown) => e)
    const three = conn!.request('three', 40)
    await sleep(5)
    ac.abort(new Error('changed my mind'))
    expect(await two).toBeInstanceOf(AbortError)
    await server.until(() => server.cancelled.includes(`${conn!.socket.localPort}:2`))
    expect(server.cancelled).toContain(`${conn!.socket.localPort}:2`)
    expect(await Promise.all([one, three])).toEqual(['one', 'three'])
    expect(server.inFlight).toBe(0) // the server dropped the cancelled one: it will never answer it
    expect(conn!.closed).toBe(false)
    for (let i = 0; i < 3; i++) pool.release(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual(idleStats)
    const again = await pool.acquire(server.origin)
    expect(again).toBe(conn)
    expect(await again.request('after', 0)).toBe('after')
    expect(conn!.strays).toBe(0)
    expect(factory.made).toHaveLength(1)
    pool.release(again)
    await pool.close()
  })

  it('acquire timeouts and aborts work while connections are shared', async () => {
    const pool = new PoolClass({ size: 1 }, muxFactory())
    const [conn] = await borrow(pool, 3)
    const err = await pool.acquire(server.origin, null, 50).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PoolAcquireTimeoutError)
    expect(pool.stats.waiting).toBe(0)
    const ac = new AbortController()
    const aborted = pool.acquire(server.origin, ac.signal).catch((e: unknown) => e)
    const next = pool.acquire(server.origin, null, 1000)
    const reason = new Error('user gave up')
    ac.abort(reason)
    expect(((await aborted) as AbortError).cause).toBe(reason)
    expect(pool.stats.waiting).toBe(1)
    // The freed borrow goes to the live waiter; the given-up ones are never served later.
    pool.release(conn!)
    expect(await next).toBe(conn)
    await sleep(60)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 3, idle: 0, connecting: 0, waiting: 0 })
    for (let i = 0; i < 3; i++) pool.release(conn!)
    expect(pool.isAllFree()).toBe(true)
    await pool.close()
  })

  it('counts maxConnRequests per connection over all its borrowers', async () => {
    const factory = muxFactory()
    const pool = new PoolClass({ size: 2, maxConnRequests: 4 }, factory)
    const [conn] = await borrow(pool, 3)
    pool.release(conn!)
    expect(await pool.acquire(server.origin)).toBe(conn) // the 4th borrower of it
    pool.release(conn!)
    // Room for one more borrower, but no requests left: a new connection.
    const fresh = await pool.acquire(server.origin)
    expect(fresh).not.toBe(conn)
    expect(factory.made).toHaveLength(2)
    pool.release(conn!)
    pool.release(conn!) // its last borrower: used up, destroyed
    await conn!.closedPromise
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 1, idle: 0, connecting: 0, waiting: 0 })
    pool.release(fresh)
    await pool.close()
  })

  it('detach() frees the slot for the next waiter; the connection stays the caller’s', async () => {
    const factory = muxFactory()
    const pool = new PoolClass({ size: 1 }, factory)
    const conn = await pool.acquire(single.origin)
    expect(conn.capacity).toBe(1)
    const waiter = pool.acquire(single.origin)
    expect(pool.stats.waiting).toBe(1)
    pool.detach(conn)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 1, waiting: 0 })
    const next = await waiter
    expect(next).not.toBe(conn)
    expect(factory.made).toHaveLength(2)
    expect(await conn.request('still mine')).toBe('still mine')
    // A later release or discard of it is ignored: not reused, not destroyed.
    pool.release(conn)
    pool.discard(conn)
    pool.detach(conn)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 1, idle: 0, connecting: 0, waiting: 0 })
    expect(conn.idleCalls).toEqual([])
    expect(conn.destroyReasons).toEqual([])
    pool.release(next)
    expect(await pool.acquire(single.origin)).toBe(next)
    await pool.close()
    // close() leaves it alone.
    await next.closedPromise
    expect(conn.closed).toBe(false)
    expect(conn.destroyReasons).toEqual([])
    expect(await conn.request('after close')).toBe('after close')
    conn.destroy()
    await conn.closedPromise
  })

  it('detach() of a shared connection takes it whole: the other borrowers go on, their releases are ignored', async () => {
    const factory = muxFactory()
    const pool = new PoolClass({ size: 1 }, factory)
    const [conn] = await borrow(pool, 2)
    const theirs = conn!.request('theirs', 30)
    pool.detach(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 0, waiting: 0 })
    expect(await theirs).toBe('theirs')
    pool.release(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 0, waiting: 0 })
    const fresh = await pool.acquire(server.origin)
    expect(fresh).not.toBe(conn)
    // An idle connection can be detached too; it is handed over as a borrowed one (setIdle(false)).
    pool.release(fresh)
    pool.detach(fresh)
    expect(fresh.idleCalls).toEqual([true, false])
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 0, waiting: 0 })
    await pool.close()
    expect(conn!.closed || fresh.closed).toBe(false)
    conn!.destroy()
    fresh.destroy()
    await Promise.all([conn!.closedPromise, fresh.closedPromise])
  })

  it('discard() of a shared connection destroys it for every borrower and frees its slot; later releases are ignored', async () => {
    const factory = muxFactory()
    const pool = new PoolClass({ size: 1 }, factory)
    const [conn] = await borrow(pool, 3)
    const exchanges = [conn!.request('a', 500), conn!.request('b', 500)].map((p) => p.catch((e: unknown) => e))
    const waiter = pool.acquire(server.origin)
    pool.discard(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 1, waiting: 0 })
    for (const e of await Promise.all(exchanges)) expect((e as Error).message).toBe('closed')
    await conn!.closedPromise
    const next = await waiter
    expect(next).not.toBe(conn)
    pool.release(conn!)
    pool.release(conn!)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 1, borrowed: 1, idle: 0, connecting: 0, waiting: 0 })
    expect(await next.request('ok')).toBe('ok')
    pool.release(next)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual(idleStats)
    await pool.close()
  })

  it('close() destroys shared busy connections with ClientClosedError, once each', async () => {
    const pool = new PoolClass({ size: 1 }, muxFactory())
    const [conn] = await borrow(pool, 3)
    const pending = conn!.request('never', 1000).catch((e: unknown) => e)
    await pool.close()
    expect(conn!.destroyReasons).toHaveLength(1)
    expect(conn!.destroyReasons[0]?.name).toBe('ClientClosedError')
    expect(((await pending) as Error).message).toBe('closed')
    for (let i = 0; i < 3; i++) pool.release(conn!) // ignored after close
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 0, borrowed: 0, idle: 0, connecting: 0, waiting: 0 })
  })
})

describe('which connection with room goes out first', () => {
  /** Two connections (capacity 3), each with one borrower left. */
  async function twoHalfUsed(pool: SmartPool<MuxConnection> | CyclicQueuePool<MuxConnection>) {
    const conns = await borrow(pool, 6)
    const [a, b] = [conns[0]!, conns[5]!]
    expect(a).not.toBe(b)
    for (let i = 0; i < 2; i++) {
      pool.release(a)
      pool.release(b)
    }
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 2, borrowed: 2, idle: 0, connecting: 0, waiting: 0 })
    return [a, b] as const
  }

  it('SmartPool fills the oldest busy connection, and prefers it to an idle one', async () => {
    const pool = new SmartPool({ size: 2 }, muxFactory())
    const [a, b] = await twoHalfUsed(pool)
    expect(await borrow(pool, 2)).toEqual([a, a])
    pool.release(b) // b idle, a full
    pool.release(a) // a has room again
    expect(await pool.acquire(server.origin)).toBe(a)
    await pool.close()
  })

  it('CyclicQueuePool spreads: round-robin over busy connections, an idle one before them', async () => {
    const pool = new CyclicQueuePool({ size: 2 }, muxFactory())
    const [a, b] = await twoHalfUsed(pool)
    const two = await borrow(pool, 2)
    expect(new Set(two)).toEqual(new Set([a, b]))
    pool.release(two[0]!)
    pool.release(two[1]!)
    pool.release(b) // b idle
    expect(await pool.acquire(server.origin)).toBe(b)
    await pool.close()
  })
})
