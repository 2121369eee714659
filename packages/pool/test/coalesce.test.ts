// SmartPool's `coalesce` option (what Http2MultiplexPool uses): concurrent acquires on a cold
// origin wait for the connect in progress instead of opening `size` connections, the next
// connection is opened only when the made ones are full, and a failed connect is shared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectError } from '@sonic/core'
import { SmartPool } from '../src/index.js'
import { muxFactory, startMuxServer, type MuxConnection, type MuxServer } from './mux-fixture.js'

let server: MuxServer // capacity 3
beforeAll(async () => {
  server = await startMuxServer({ capacity: 3 })
})
afterAll(async () => {
  await server.close()
})

describe('SmartPool { coalesce: true }', () => {
  it('without it, 9 concurrent acquires on a cold origin open 9 connections (size 10)', async () => {
    const factory = muxFactory()
    const pool = new SmartPool({ size: 10 }, factory)
    const conns = await Promise.all(Array.from({ length: 9 }, () => pool.acquire(server.origin)))
    expect(new Set(conns).size).toBe(9)
    expect(factory.made).toHaveLength(9)
    await pool.close()
  })

  it('with it, 9 concurrent acquires on capacity-3 connections open 3, one connect at a time', async () => {
    const factory = muxFactory()
    let connecting = 0
    let most = 0
    const pool = new SmartPool<MuxConnection>(
      { size: 10 },
      async (origin, signal) => {
        connecting++
        most = Math.max(most, connecting)
        try {
          return await factory(origin, signal)
        } finally {
          connecting--
        }
      },
      { coalesce: true },
    )
    const conns = await Promise.all(Array.from({ length: 9 }, () => pool.acquire(server.origin)))
    expect(factory.made).toHaveLength(3)
    expect(most).toBe(1)
    for (const c of new Set(conns)) expect(conns.filter((x) => x === c)).toHaveLength(3)
    expect({ ...pool.stats, borrowed: pool.borrowed }).toEqual({ busy: 3, borrowed: 9, idle: 0, connecting: 0, waiting: 0 })
    for (const c of conns) pool.release(c)
    expect(pool.stats).toMatchObject({ busy: 0, idle: 3 })
    await pool.close()
  })

  it('a failed connect rejects the acquires that waited for it; the next acquire tries again', async () => {
    let attempts = 0
    const pool = new SmartPool<MuxConnection>(
      { size: 10 },
      async () => {
        attempts++
        await new Promise((r) => setTimeout(r, 10))
        throw new ConnectError('refused')
      },
      { coalesce: true },
    )
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => pool.acquire(server.origin)))
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'))
    expect(attempts).toBe(1)
    await expect(pool.acquire(server.origin)).rejects.toBeInstanceOf(ConnectError)
    expect(attempts).toBe(2)
    expect(pool.stats).toEqual({ busy: 0, idle: 0, connecting: 0, waiting: 0 })
    await pool.close()
  })
})
