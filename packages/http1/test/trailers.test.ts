// Chunked trailers on the body reader: `trailers` is an HttpHeaders once the end of the body has
// been read, null before that and when the server sent none; the connection stays reusable.
import type * as net from 'node:net'
import { HttpHeaders } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import type { Http1Connection } from '../src/index.js'
import { makeRequest, reader, sleep, startHttp, startRaw, openConn, useCleanups } from './helpers.js'

const cleanups = useCleanups()

const open = (port: number): Promise<Http1Connection> => openConn(cleanups, port)

describe('chunked trailers', () => {
  test('a node server’s addTrailers(): set after readAll(), names as sent, several values kept', async () => {
    const srv = await startHttp((_req, res) => {
      res.setHeader('Trailer', 'X-Checksum, Server-Timing')
      res.write('hello ')
      res.write('world')
      res.addTrailers([
        ['X-Checksum', 'abc123'],
        ['Server-Timing', 'db;dur=53'],
        ['Server-Timing', 'app;dur=47.2'],
      ])
      res.end()
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(res.chunked).toBe(true)
    const body = reader(res.body)
    expect(body.trailers).toBeNull()
    expect(Buffer.from(await body.readAll()).toString()).toBe('hello world')
    const trailers = body.trailers
    expect(trailers).toBeInstanceOf(HttpHeaders)
    expect(trailers!.get('x-checksum')).toBe('abc123')
    expect(trailers!.getAll('server-timing')).toEqual(['db;dur=53', 'app;dur=47.2'])
    expect([...trailers!.entries()].map(([name]) => name)).toEqual(['X-Checksum', 'Server-Timing', 'Server-Timing'])
    // The head's headers are not mixed with them.
    expect(res.headers.get('x-checksum')).toBeNull()
  })

  test('read() loop: null until read() returned null, even when the end arrived earlier', async () => {
    const srv = await startHttp((_req, res) => {
      res.write('a')
      res.addTrailers({ 'X-Done': 'yes' })
      res.end()
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const body = reader((await conn.request(makeRequest())).body)
    // Give the whole response time to arrive: the chunk is queued, unread.
    for (let i = 0; i < 100 && body.bufferedBytes === 0; i++) await sleep(5)
    await sleep(20)
    expect(body.trailers).toBeNull()
    expect(Buffer.from((await body.read())!).toString()).toBe('a')
    expect(await body.read()).toBeNull()
    expect(body.trailers?.get('x-done')).toBe('yes')
  })

  test('none: null after the end (chunked without trailers, Content-Length); the kept connection’s next response has its own', async () => {
    let n = 0
    const srv = await startHttp((_req, res) => {
      n++
      if (n === 1) {
        res.write('x')
        res.addTrailers({ 'X-First': '1' })
        res.end()
      } else if (n === 2) {
        res.write('chunked, no trailers')
        res.end()
      } else res.end('sized')
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const first = reader((await conn.request(makeRequest())).body)
    await first.readAll()
    expect(first.trailers?.get('x-first')).toBe('1')
    const second = await conn.request(makeRequest())
    expect(second.chunked).toBe(true)
    await reader(second.body).readAll()
    expect(reader(second.body).trailers).toBeNull()
    const third = await conn.request(makeRequest())
    expect(third.chunked).toBe(false)
    expect(Buffer.from(await reader(third.body).readAll()).toString()).toBe('sized')
    expect(reader(third.body).trailers).toBeNull()
    expect(conn.requestCount).toBe(3)
    // The first reader's trailers are its own, kept after the connection moved on.
    expect(first.trailers?.get('x-first')).toBe('1')
  })

  test('trailers written byte by byte over TCP (raw server), with obs-text and an empty value', async () => {
    const response = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\nX-Sig: caf\xe9\r\nX-Empty:\r\nX-Sig: two \r\n\r\n',
      'latin1',
    )
    const srv = await startRaw((socket: net.Socket) => {
      socket.once('data', async () => {
        socket.setNoDelay(true)
        for (let i = 0; i < response.length && !socket.destroyed; i++) {
          socket.write(response.subarray(i, i + 1))
          await sleep(1)
        }
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const body = reader((await conn.request(makeRequest())).body)
    expect(Buffer.from(await body.readAll()).toString()).toBe('body')
    expect([...body.trailers!.entries()]).toEqual([
      ['X-Sig', 'caf\xe9'],
      ['X-Empty', ''],
      ['X-Sig', 'two'],
    ])
    expect(conn.closed).toBe(false)
  })

  test('for await, then trailers', async () => {
    const srv = await startHttp((_req, res) => {
      res.write('one,')
      res.write('two')
      res.addTrailers({ 'Content-MD5': 'Q2hlY2sgSW50ZWdyaXR5IQ==' })
      res.end()
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const body = reader((await conn.request(makeRequest())).body)
    let text = ''
    for await (const chunk of body) text += Buffer.from(chunk).toString()
    expect(text).toBe('one,two')
    expect(body.trailers?.get('content-md5')).toBe('Q2hlY2sgSW50ZWdyaXR5IQ==')
  })
})
