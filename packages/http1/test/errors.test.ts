// Servers that misbehave on purpose, and every error the connection reports.
import * as net from 'node:net'
import {
  AbortError,
  ConnectionClosedError,
  HttpParserError,
  InvalidArgumentError,
  ReadTimeoutError,
  ResponseTooLargeError,
} from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { Http1Connection } from '../src/index.js'
import { makeRequest, reader, sleep, startHttp, startRaw, text, until, openConn, useCleanups, type ConnectOptions } from './helpers.js'

const cleanups = useCleanups()

async function raw(onSocket: (socket: net.Socket) => void) {
  const srv = await startRaw(onSocket)
  cleanups.push(() => srv.close())
  return srv
}

const open = (port: number, extra: Partial<ConnectOptions> = {}): Promise<Http1Connection> => openConn(cleanups, port, extra)

describe('constructor', () => {
  // Connecting (refused, DNS, connect timeout, abort, bad targets) is @sonic/transport's: its test/errors.test.ts.
  test('bad arguments → InvalidArgumentError, and nothing is attached to the socket', async () => {
    const srv = await raw(() => {})
    const socket = net.connect(srv.port, '127.0.0.1')
    cleanups.push(() => socket.destroy())
    await new Promise((r) => socket.once('connect', r))
    const before = socket.listenerCount('data') + socket.listenerCount('error') + socket.listenerCount('close')
    expect(() => new Http1Connection(socket, { maxHeaderSize: 0 })).toThrow(InvalidArgumentError)
    expect(socket.listenerCount('data') + socket.listenerCount('error') + socket.listenerCount('close')).toBe(before)
    expect(() => new Http1Connection(null as unknown as net.Socket)).toThrow(InvalidArgumentError)
    expect(() => new Http1Connection({} as net.Socket)).toThrow(InvalidArgumentError)
  })
})

describe('response errors', () => {
  test('server closes before responding → ConnectionClosedError beforeResponse: true', async () => {
    const srv = await raw((socket) => socket.once('data', () => socket.end()))
    const conn = await open(srv.port)
    const err = await conn.request(makeRequest()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect((err as ConnectionClosedError).beforeResponse).toBe(true)
    expect(conn.closed).toBe(true)
  })

  test('server closes mid-head and mid-body → ConnectionClosedError beforeResponse: false', async () => {
    const midHead = await raw((socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-le')))
    const a = await open(midHead.port)
    await expect(a.request(makeRequest())).rejects.toMatchObject({ code: 'SONIC_CONNECTION_CLOSED', beforeResponse: false })

    const midBody = await raw((socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly some')))
    const b = await open(midBody.port)
    const res = await b.request(makeRequest())
    const err = await reader(res.body).readAll().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect((err as ConnectionClosedError).beforeResponse).toBe(false)
    expect(b.closed).toBe(true)

    const midChunk = await raw((socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab')))
    const c = await open(midChunk.port)
    const res2 = await c.request(makeRequest())
    await expect(reader(res2.body).readAll()).rejects.toBeInstanceOf(ConnectionClosedError)
  })

  test('reset of a reused keep-alive socket → ConnectionClosedError beforeResponse: true', async () => {
    let requests = 0
    const srv = await raw((socket) => {
      socket.on('data', () => {
        requests++
        if (requests === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
        else socket.resetAndDestroy()
      })
    })
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(await text(res.body)).toBe('ok')
    expect(conn.closed).toBe(false)
    const err = await conn.request(makeRequest()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect((err as ConnectionClosedError).beforeResponse).toBe(true)
    expect(conn.closed).toBe(true)
  })

  test('garbage → HttpParserError and the connection is destroyed', async () => {
    const srv = await raw((socket) => socket.once('data', () => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n')))
    const conn = await open(srv.port)
    const err = await conn.request(makeRequest()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpParserError)
    expect((err as HttpParserError).code).toBe('SONIC_PARSE_ERROR')
    expect(conn.closed).toBe(true)
  })

  test('garbage in a chunked body → HttpParserError from read()', async () => {
    const srv = await raw((socket) =>
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n')),
    )
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    await expect(reader(res.body).readAll()).rejects.toBeInstanceOf(HttpParserError)
    expect(conn.closed).toBe(true)
  })

  test('oversized head → ResponseTooLargeError (maxHeaderSize respected)', async () => {
    const srv = await raw((socket) =>
      socket.once('data', () => socket.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(3000)}\r\ncontent-length: 0\r\n\r\n`)),
    )
    const small = await open(srv.port, { maxHeaderSize: 1024 })
    const err = await small.request(makeRequest()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as ResponseTooLargeError).limit).toBe(1024)
    expect(small.closed).toBe(true)
    const roomy = await open(srv.port)
    const res = await roomy.request(makeRequest())
    expect(res.headers.get('x-big')!.length).toBe(3000)
  })

  test('a server that never answers → ReadTimeoutError', async () => {
    const srv = await raw(() => {})
    const conn = await open(srv.port)
    const err = await conn.request(makeRequest({ sockRead: 100 })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReadTimeoutError)
    expect((err as ReadTimeoutError).timeout).toBe(100)
    expect(conn.closed).toBe(true)
  })

  test('sockRead bounds each wait: trickle faster than it passes, slower fails mid-body', async () => {
    const trickle = (gapMs: number) => (socket: net.Socket) => {
      socket.once('data', async () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n')
        for (const c of 'abcde') {
          await sleep(gapMs)
          if (socket.destroyed) return
          socket.write(c)
        }
      })
    }
    const fast = await raw(trickle(50))
    const a = await open(fast.port)
    const ok = await a.request(makeRequest({ sockRead: 200 }))
    expect(await text(ok.body)).toBe('abcde') // ≈ 250 ms in total, but no single wait reaches 200 ms
    const slow = await raw(trickle(300))
    const b = await open(slow.port)
    const res = await b.request(makeRequest({ sockRead: 100 }))
    const err = await reader(res.body).readAll().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReadTimeoutError)
    expect(b.closed).toBe(true)
  })

  test('the read timer is refreshed, so a body longer than sockRead in total succeeds', async () => {
    const srv = await raw((socket) => {
      socket.once('data', async () => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n')
        for (let i = 0; i < 8; i++) {
          await sleep(40)
          if (socket.destroyed) return
          socket.write('1\r\nx\r\n')
        }
        socket.write('0\r\n\r\n')
      })
    })
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ sockRead: 150 })) // total ≈ 320 ms > 150 ms
    expect(await text(res.body)).toBe('xxxxxxxx')
    expect(conn.closed).toBe(false)
  })

  test('abort while waiting for the head → AbortError, socket destroyed', async () => {
    const srv = await raw((socket) => socket.resume())
    const conn = await open(srv.port)
    const ac = new AbortController()
    const pending = conn.request(makeRequest({ signal: ac.signal }))
    await sleep(20)
    ac.abort('enough')
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as Error).cause).toBe('enough')
    expect(conn.closed).toBe(true)
    await until(() => srv.sockets[0]!.destroyed)
  })

  test('abort while reading the body → read() rejects with AbortError', async () => {
    const srv = await startHttp((_req, res) => res.write('part')) // never ends
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const ac = new AbortController()
    const res = await conn.request(makeRequest({ signal: ac.signal }))
    const body = reader(res.body)
    expect(Buffer.from((await body.read())!).toString()).toBe('part')
    const next = body.read()
    ac.abort()
    await expect(next).rejects.toBeInstanceOf(AbortError)
    await expect(body.read()).rejects.toBeInstanceOf(AbortError)
    expect(conn.closed).toBe(true)
  })

  test('an already aborted signal rejects without touching the connection', async () => {
    const srv = await startHttp((_req, res) => res.end('fine'))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    await expect(conn.request(makeRequest({ signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(AbortError)
    expect(conn.closed).toBe(false)
    const res = await conn.request(makeRequest())
    expect(await text(res.body)).toBe('fine')
  })

  test('abort listeners are removed after each request (1000 requests on one signal)', async () => {
    const { getEventListeners } = await import('node:events').then((m) => m.EventEmitter)
    const srv = await startHttp((_req, res) => res.end('.'))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const ac = new AbortController()
    for (let i = 0; i < 1000; i++) {
      const res = await conn.request(makeRequest({ signal: ac.signal }))
      await reader(res.body).readAll()
    }
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0)
    ac.abort()
    expect(conn.closed).toBe(false)
  })

  test('destroy() during a request rejects it with ConnectionClosedError or the given error', async () => {
    const srv = await raw(() => {})
    const conn = await open(srv.port)
    const pending = conn.request(makeRequest())
    const reason = new Error('shutting down')
    conn.destroy(reason)
    await expect(pending).rejects.toBe(reason)
    const c2 = await open(srv.port)
    const p2 = c2.request(makeRequest())
    c2.destroy()
    await expect(p2).rejects.toBeInstanceOf(ConnectionClosedError)
  })
})
