// Response bodies: pull-based backpressure, zero-copy views, readAll, cancel (drain or destroy).
import type * as http from 'node:http'
import type * as net from 'node:net'
import { BodyUsedError } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { HIGH_WATER_MARK, type Http1Connection } from '../src/index.js'
import { makeRequest, reader, sleep, startHttp, startRaw, text, until, openConn, useCleanups, type ConnectOptions } from './helpers.js'

const cleanups = useCleanups()

const open = (port: number, extra: Partial<ConnectOptions> = {}): Promise<Http1Connection> => openConn(cleanups, port, extra)

/** Writes `total` bytes in 64 KiB pieces, respecting backpressure; `state.written` counts them. */
function streamingServer(total: number, state: { written: number; stalled: boolean }): http.RequestListener {
  return async (_req, res) => {
    res.writeHead(200, { 'content-length': String(total) })
    const piece = Buffer.alloc(64 * 1024, 0x61)
    while (state.written < total && !res.destroyed) {
      const n = Math.min(piece.length, total - state.written)
      state.written += n
      if (!res.write(n === piece.length ? piece : piece.subarray(0, n))) {
        state.stalled = true
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
        state.stalled = false
      }
    }
    res.end()
  }
}

describe('backpressure', () => {
  test('a 32 MiB download with a reader that stops pulling: the socket pauses, memory stays bounded', async () => {
    const total = 32 * 1024 * 1024
    const state = { written: 0, stalled: false }
    const srv = await startHttp(streamingServer(total, state))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ sockRead: null }))
    expect(res.body.length).toBe(total)
    const body = reader(res.body)
    let received = (await body.read())!.byteLength

    // Stop pulling. Wait until the server is stuck on a full socket and stays stuck.
    let stable = 0
    let last = -1
    for (let i = 0; i < 600 && stable < 10; i++) {
      await sleep(10)
      if (state.stalled && state.written === last) stable++
      else stable = 0
      last = state.written
    }
    expect(stable).toBe(10)
    expect(conn.socket.isPaused()).toBe(true)
    expect(body.bufferedBytes).toBeGreaterThanOrEqual(HIGH_WATER_MARK)
    expect(body.bufferedBytes).toBeLessThan(HIGH_WATER_MARK + 256 * 1024)
    expect((conn.socket as net.Socket).bytesRead).toBeLessThan(1024 * 1024) // the rest waits in kernel buffers and the server
    expect(state.written).toBeLessThan(total)

    // Pull again: everything arrives, nothing lost.
    for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) received += chunk.byteLength
    expect(received).toBe(total)
    expect(state.written).toBe(total)
    expect(conn.closed).toBe(false)
    expect(conn.busy).toBe(false)
  })

  test('the read timer is suspended while the consumer does not pull', async () => {
    const state = { written: 0, stalled: false }
    const srv = await startHttp(streamingServer(4 * 1024 * 1024, state))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ sockRead: 100 }))
    const body = reader(res.body)
    await until(() => conn.socket.isPaused())
    await sleep(300) // three times sockRead without pulling
    expect(conn.closed).toBe(false)
    const all = await body.readAll()
    expect(all.byteLength).toBe(4 * 1024 * 1024)
  })

  test('readAll collects without pausing and returns the single chunk itself (no copy)', async () => {
    const srv = await startRaw((socket) => socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello')))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    const bytes = await reader(res.body).readAll()
    expect(Buffer.from(bytes).toString()).toBe('hello')
    // A view into the socket chunk that also held the head: the body was not copied.
    expect(bytes.byteOffset).toBeGreaterThanOrEqual('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n'.length)
    await expect(reader(res.body).read()).resolves.toBeNull()
  })

  test('readAll of a 4 MiB body concatenates once', async () => {
    const state = { written: 0, stalled: false }
    const srv = await startHttp(streamingServer(4 * 1024 * 1024, state))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    const bytes = await reader(res.body).readAll()
    expect(bytes.byteLength).toBe(4 * 1024 * 1024)
    expect(bytes.every((b) => b === 0x61)).toBe(true)
  })

  test('for await yields every chunk; a concurrent read → BodyUsedError', async () => {
    let sendBody!: () => void
    const srv = await startRaw((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n')
        sendBody = () => {
          socket.write('a')
          setTimeout(() => socket.write('b'), 20)
        }
      }),
    )
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    const body = reader(res.body)
    const first = body.read() // pending: no body byte sent yet
    await expect(body.read()).rejects.toBeInstanceOf(BodyUsedError)
    sendBody()
    const parts = [Buffer.from((await first)!).toString()]
    for await (const chunk of body) parts.push(Buffer.from(chunk).toString())
    expect(parts.join('')).toBe('ab')
  })
})

describe('cancel', () => {
  test('a short rest (< 64 KiB) is drained and the connection kept', async () => {
    const srv = await startHttp((req, res) => {
      if (req.url === '/next') return void res.end('next')
      res.writeHead(200, { 'content-length': String(100_000) })
      res.write(Buffer.alloc(50_000, 1))
      setTimeout(() => res.end(Buffer.alloc(50_000, 2)), 30)
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    const body = reader(res.body)
    await until(() => body.bufferedBytes >= 1)
    await body.cancel()
    expect(conn.closed).toBe(false)
    expect(conn.busy).toBe(false)
    expect(await body.read()).toBeNull()
    const next = await conn.request(makeRequest({ path: '/next' }))
    expect(await text(next.body)).toBe('next')
    expect(srv.sockets.length).toBe(1)
  })

  test('a long rest closes the connection', async () => {
    const srv = await startHttp((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) })
      res.write(Buffer.alloc(1000))
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    await reader(res.body).read()
    await reader(res.body).cancel()
    expect(conn.closed).toBe(true)
  })

  test('chunked: a short tail is drained, an endless one closes the connection', async () => {
    const srv = await startHttp((req, res) => {
      res.write('start')
      if (req.url === '/short') setTimeout(() => res.end('x'.repeat(1000)), 20)
      else {
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 2)
        res.on('close', () => clearInterval(timer))
      }
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const short = await conn.request(makeRequest({ path: '/short' }))
    await reader(short.body).read()
    await reader(short.body).cancel()
    expect(conn.closed).toBe(false)
    const endless = await conn.request(makeRequest({ path: '/endless' }))
    await reader(endless.body).read()
    await reader(endless.body).cancel()
    expect(conn.closed).toBe(true)
  })

  test('a short rest that never arrives: cancel gives up after the drain bound and closes', async () => {
    const srv = await startHttp((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial') // the other 93 bytes never come
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    await reader(res.body).read()
    const started = Date.now()
    await reader(res.body).cancel()
    expect(conn.closed).toBe(true)
    expect(Date.now() - started).toBeLessThan(5000) // bounded by the drain limit, not sockRead (30 s)
  })

  test('cancel after the end is a no-op; breaking out of for await cancels', async () => {
    const srv = await startHttp((req, res) => {
      if (req.url === '/small') return void res.end('tiny')
      res.writeHead(200, { 'content-length': String(8 * 1024 * 1024) })
      res.write(Buffer.alloc(1000))
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const small = await conn.request(makeRequest({ path: '/small' }))
    expect(await text(small.body)).toBe('tiny')
    await reader(small.body).cancel()
    expect(conn.closed).toBe(false)
    const big = await conn.request(makeRequest())
    for await (const _chunk of reader(big.body)) break
    expect(conn.closed).toBe(true)
  })
})
