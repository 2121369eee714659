// Large fixed-bytes uploads against servers that read slowly, not at all, or answer early.
import * as net from 'node:net'
import { AbortError } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import type { Http1Connection } from '../src/index.js'
import { makeRequest, openConn, sleep, startRaw, text, until, useCleanups } from './helpers.js'

const cleanups = useCleanups()

async function raw(onSocket: (socket: net.Socket) => void) {
  const srv = await startRaw(onSocket)
  cleanups.push(() => srv.close())
  return srv
}

const open = (port: number): Promise<Http1Connection> => openConn(cleanups, port)

const MiB = 1024 * 1024

/** Reads at about `bytesPerSec` (pause/resume), then answers 200 once `total` bytes (head + body) arrived. */
function slowReader(bytesPerSec: number, total: number, tick = 50) {
  return (socket: net.Socket): void => {
    let got = 0
    let windowBytes = 0
    const budget = (bytesPerSec * tick) / 1000
    const timer = setInterval(() => {
      windowBytes = 0
      if (!socket.destroyed) socket.resume()
    }, tick)
    socket.on('close', () => clearInterval(timer))
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length
      windowBytes += chunk.length
      if (got >= total) {
        clearInterval(timer)
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
        return
      }
      if (windowBytes >= budget) socket.pause()
    })
  }
}

describe('read timeout during a large Uint8Array upload', () => {
  // sockRead counts from when the last byte is handed to the OS ('drain'); what the kernel still
  // buffers on loopback (a few MiB: under a second at 8 MiB/s) must fit in it, so it is 1.5 s here,
  // well under the 3 s the upload takes.
  test('does not fire while the body is still flowing to a slow reader (24 MiB at ~8 MiB/s, sockRead 1500 ms)', async () => {
    const size = 24 * MiB
    const body = Buffer.alloc(size, 0x61)
    let headLen = 0
    const srv = await raw((socket) => {
      // The head is small and arrives first; count it into the total once seen.
      socket.once('data', (first: Buffer) => {
        headLen = first.indexOf('\r\n\r\n') + 4
        socket.unshift(first)
        slowReader(8 * MiB, headLen + size)(socket)
      })
    })
    const conn = await open(srv.port)
    const started = Date.now()
    const res = await conn.request(makeRequest({ method: 'POST', body, sockRead: 1500 }))
    expect(res.status).toBe(200)
    expect(await text(res.body)).toBe('ok')
    // The upload really took longer than sockRead.
    expect(Date.now() - started).toBeGreaterThan(2000)
    expect(conn.closed).toBe(false)
  }, 20000)

  test('a server that never reads: no read timeout while the write is blocked on backpressure; abort ends it', async () => {
    // There is no write timeout in this layer: a stalled upload is bounded by the caller's
    // request timeout / AbortSignal, never reported as a READ_TIMEOUT.
    const srv = await raw((socket) => socket.pause())
    const conn = await open(srv.port)
    const ac = new AbortController()
    let settled: unknown = null
    const pending = conn.request(makeRequest({ method: 'POST', body: Buffer.alloc(16 * MiB), sockRead: 200, signal: ac.signal }))
    pending.then(
      () => (settled = 'resolved'),
      (e: unknown) => (settled = e),
    )
    await sleep(700)
    expect(settled).toBe(null)
    ac.abort()
    await until(() => settled !== null)
    expect(settled).toBeInstanceOf(AbortError)
    expect(conn.closed).toBe(true)
  }, 10000)
})

describe('early final response while the upload is still queued', () => {
  test('413 after the first bytes of a 32 MiB upload is delivered, and the connection is not reused', async () => {
    const serverSockets: net.Socket[] = []
    const srv = await raw((socket) => {
      serverSockets.push(socket)
      socket.once('data', (first: Buffer) => {
        if (first.toString('latin1').startsWith('POST')) {
          // Answer after the first bytes and stop reading (for a while) with the rest queued.
          socket.pause()
          socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n')
          setTimeout(() => {
            // Then discard whatever is left, so the client's close reaches us as EOF.
            socket.on('data', () => {})
            socket.resume()
          }, 100)
        } else {
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
        }
      })
    })
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', body: Buffer.alloc(32 * MiB, 0x62) }))
    expect(res.status).toBe(413)
    expect(await text(res.body)).toBe('')
    // RFC 9112 §9.3: the body was not fully sent when the response ended → close, do not reuse.
    expect(conn.closed).toBe(true)
    expect(conn.busy).toBe(false)
    await until(() => serverSockets[0]!.destroyed)

    // A fresh connection works.
    const next = await open(srv.port)
    const res2 = await next.request(makeRequest())
    expect(res2.status).toBe(200)
    expect(await text(res2.body)).toBe('ok')
    expect(next.closed).toBe(false)
  }, 10000)

  test('an early response still on a keep-alive connection when the body was fully written first', async () => {
    // Control: a body the socket took whole (small) before the 413 ended → reusable.
    const srv = await raw((socket) => {
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString('latin1').startsWith('POST')) socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n')
        else if (chunk.toString('latin1').startsWith('GET')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
      })
    })
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', body: Buffer.from('tiny') }))
    expect(res.status).toBe(413)
    await text(res.body)
    expect(conn.closed).toBe(false)
    const res2 = await conn.request(makeRequest())
    expect(await text(res2.body)).toBe('ok')
  })
})
