// Volume and limits against `ws`: 10,000 messages of 1 KiB each way with no leak and no timer per
// message, a 64 MiB binary message within a raised maxMsgSize, and a `ws` server misbehaving on
// purpose: a message over maxMsgSize (1009), invalid UTF-8 in a text message (1007).
import type { WebSocket as WsSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocketError } from '@sonic/core'
import { wsConnect } from '../src/index.js'
import { echo, startWs, timersCreated, until, useCleanups, type WsServer } from './helpers.js'

describe('volume and limits against ws', () => {
  let server: WsServer
  const behaviours: Record<string, (ws: WsSocket) => void> = {}
  const closes: number[] = []
  beforeAll(async () => {
    server = await startWs({ perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 }, (ws, req) => {
      ws.on('close', (code) => closes.push(code))
      const b = behaviours[req.url!]
      if (b !== undefined) b(ws)
      else echo(ws)
    })
  })
  afterAll(() => server.close())
  const cleanups = useCleanups()

  test('10,000 messages of 1 KiB each way, in order, no timer per message, nothing left behind', async () => {
    const ws = await wsConnect(server.url, { compress: false, heartbeat: 5000 })
    cleanups.push(() => ws.close())
    const N = 10000
    const payload = 'x'.repeat(1020)
    const timersBefore = timersCreated()
    const receiving = (async () => {
      for (let i = 0; i < N; i++) {
        const m = await ws.receiveStr()
        if (m !== `${String(i).padStart(4, '0')}${payload}`) throw new Error(`message ${i} out of order`)
      }
    })()
    for (let i = 0; i < N; i++) await ws.sendStr(`${String(i).padStart(4, '0')}${payload}`)
    await receiving
    // Only the heartbeat's few timers: none per message sent or received.
    expect(timersCreated() - timersBefore).toBeLessThan(20)
    await ws.close()
    expect(ws.closeCode).toBe(1000)
  }, 60000)

  test('10,000 binary messages each way (deflate offered, declined by this server)', async () => {
    const ws = await wsConnect(server.url, { compress: true })
    cleanups.push(() => ws.close())
    const data = new Uint8Array(1024).fill(9)
    let got = 0
    const receiving = (async () => {
      for (; got < 10000; got++) {
        const b = await ws.receiveBytes({ timeout: 20000 })
        if (b.length !== 1024) throw new Error('bad length')
      }
    })()
    for (let i = 0; i < 10000; i++) await ws.sendBytes(data)
    await receiving
    expect(got).toBe(10000)
  }, 60000)

  test('a 64 MiB binary message each way within a raised maxMsgSize', async () => {
    const ws = await wsConnect(server.url, { compress: false, maxMsgSize: 65 * 1024 * 1024 })
    cleanups.push(() => ws.close())
    const big = Buffer.alloc(64 * 1024 * 1024)
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff
    await ws.sendBytes(big)
    const back = await ws.receiveBytes({ timeout: 30000 })
    expect(back.length).toBe(big.length)
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(big)).toBe(true)
  }, 60000)

  test('a message over the default 4 MiB maxMsgSize → 1009 sent and WebSocketError', async () => {
    behaviours['/huge'] = (ws) => ws.send(Buffer.alloc(4 * 1024 * 1024 + 1))
    const ws = await wsConnect(`${server.url}/huge`, { compress: false })
    cleanups.push(() => ws.close())
    const err = await ws.receive({ timeout: 10000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).closeCode).toBe(1009)
    await until(() => closes.includes(1009), 5000)
  })

  test('invalid UTF-8 in a text message from ws → 1007 sent and WebSocketError', async () => {
    behaviours['/bad-utf8'] = (ws) => ws.send(Buffer.from([0x68, 0xff, 0x69]), { binary: false })
    const ws = await wsConnect(`${server.url}/bad-utf8`)
    cleanups.push(() => ws.close())
    const err = await ws.receive({ timeout: 10000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).closeCode).toBe(1007)
    await until(() => closes.includes(1007), 5000)
  })
})
