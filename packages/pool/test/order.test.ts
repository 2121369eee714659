import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CyclicQueuePool, SmartPool } from '../src/index.js'
import { startEchoServer, tcpFactory, type EchoServer, type TcpConnection } from './tcp-fixture.js'

let server: EchoServer
beforeAll(async () => {
  server = await startEchoServer()
})
afterAll(() => server.close())

async function three(pool: SmartPool<TcpConnection> | CyclicQueuePool<TcpConnection>) {
  const conns = await Promise.all([pool.acquire(server.origin), pool.acquire(server.origin), pool.acquire(server.origin)])
  for (const c of conns) expect(await c.request(`hello ${c.id}`)).toBe(`hello ${c.id}`)
  for (const c of conns) pool.release(c)
  return conns
}

describe('hand-out order', () => {
  it('SmartPool reuses the most recently released connection first (LIFO)', async () => {
    const factory = tcpFactory()
    const pool = new SmartPool({ size: 3 }, factory)
    const [a, b, c] = await three(pool)
    const order: number[] = []
    for (let i = 0; i < 3; i++) order.push((await pool.acquire(server.origin)).id)
    expect(order).toEqual([c!.id, b!.id, a!.id])
    // Sequential use keeps hitting the same, hottest connection.
    for (const id of order) pool.release(factory.made.find((x) => x.id === id)!)
    const seen = new Set<number>()
    for (let i = 0; i < 5; i++) {
      const conn = await pool.acquire(server.origin)
      seen.add(conn.id)
      pool.release(conn)
    }
    expect(seen).toEqual(new Set([a!.id]))
    expect(factory.made).toHaveLength(3)
    await pool.close()
  })

  it('CyclicQueuePool hands connections out round-robin (FIFO)', async () => {
    const factory = tcpFactory()
    const pool = new CyclicQueuePool({ size: 3 }, factory)
    const [a, b, c] = await three(pool)
    const order: number[] = []
    for (let i = 0; i < 7; i++) {
      const conn = await pool.acquire(server.origin)
      expect(await conn.request('x')).toBe('x')
      order.push(conn.id)
      pool.release(conn)
    }
    expect(order).toEqual([a, b, c, a, b, c, a].map((x) => x!.id))
    expect(factory.made).toHaveLength(3)
    await pool.close()
  })

  it('marks connections idle on release and busy on hand-out', async () => {
    const pool = new SmartPool({ size: 1 }, tcpFactory())
    const conn = await pool.acquire(server.origin)
    expect(conn.idleCalls).toEqual([])
    pool.release(conn)
    expect(conn.idleCalls).toEqual([true])
    expect(await pool.acquire(server.origin)).toBe(conn)
    expect(conn.idleCalls).toEqual([true, false])
    await pool.close()
  })
})
