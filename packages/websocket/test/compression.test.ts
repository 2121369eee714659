// permessage-deflate against `ws` servers: messages really are compressed both ways (bytes on the
// server's socket), context takeover shrinks a repeated message and no_context_takeover (ours or
// the server's) does not, compress: false and the threshold send raw bytes.
import type * as net from 'node:net'
import type { WebSocket as WsSocket, ServerOptions } from 'ws'
import { describe, expect, test } from 'vitest'
import { wsConnect, type WebSocketClient, type WsConnectOptions } from '../src/index.js'
import { echo, prng, startWs, until, useCleanups, type WsServer } from './helpers.js'

const sock = (ws: WsSocket): net.Socket => (ws as unknown as { _socket: net.Socket })._socket

function randomBytes(n: number, seed: number): Buffer {
  const r = prng(seed)
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256)
  return b
}

describe('permessage-deflate against ws', () => {
  let server: WsServer | null = null
  let peer: WsSocket | null = null
  const cleanups = useCleanups()

  async function setup(serverOpts: ServerOptions['perMessageDeflate'], clientOpts: WsConnectOptions = {}, onPeer: (ws: WsSocket) => void = echo): Promise<WebSocketClient> {
    peer = null
    const started = await startWs({ perMessageDeflate: serverOpts }, (ws) => {
      peer = ws
      onPeer(ws)
    })
    server = started
    cleanups.push(() => started.close())
    const ws = await wsConnect(server.url, clientOpts)
    cleanups.push(() => ws.close().catch(() => {}))
    await until(() => peer !== null)
    return ws
  }

  /** Bytes the server read while `f` ran and its echo came back. */
  async function bytesIn(ws: WebSocketClient, f: () => Promise<void>): Promise<number> {
    const before = sock(peer!).bytesRead
    await f()
    await ws.receive({ timeout: 5000 })
    return sock(peer!).bytesRead - before
  }

  test('both directions compressed by default; the echo is intact', async () => {
    const ws = await setup({ threshold: 0 })
    expect(ws.extensions).toMatch(/^permessage-deflate/)
    const big = 'sonic websocket '.repeat(8192) // 128 KiB
    const before = sock(peer!).bytesWritten
    const n = await bytesIn(ws, async () => {
      await ws.sendStr(big)
    })
    expect(n).toBeLessThan(big.length / 20)
    expect(sock(peer!).bytesWritten - before).toBeLessThan(big.length / 20)
    await ws.sendStr(big)
    expect(await ws.receiveStr()).toBe(big)
    const bin = Buffer.alloc(200000, 3)
    await ws.sendBytes(bin)
    expect(Buffer.from(await ws.receiveBytes()).equals(bin)).toBe(true)
  })

  test('context takeover: a repeated message compresses to far less the second time', async () => {
    const ws = await setup({ threshold: 0 })
    const data = randomBytes(8000, 1)
    const first = await bytesIn(ws, () => ws.sendBytes(data))
    const second = await bytesIn(ws, () => ws.sendBytes(data))
    expect(first).toBeGreaterThan(7000)
    expect(second).toBeLessThan(first / 4)
  })

  test('clientNoContextTakeover: each message compressed on its own (offered, and agreed)', async () => {
    const ws = await setup({ threshold: 0 }, { compress: { clientNoContextTakeover: true } })
    expect(ws.extensions).toMatch(/client_no_context_takeover/)
    const data = randomBytes(8000, 2)
    const first = await bytesIn(ws, () => ws.sendBytes(data))
    const second = await bytesIn(ws, () => ws.sendBytes(data))
    expect(second).toBeGreaterThan(first * 0.9)
  })

  test('a server that asks for client_no_context_takeover is obeyed', async () => {
    const ws = await setup({ threshold: 0, clientNoContextTakeover: true })
    expect(ws.extensions).toMatch(/client_no_context_takeover/)
    const data = randomBytes(8000, 3)
    const first = await bytesIn(ws, () => ws.sendBytes(data))
    const second = await bytesIn(ws, () => ws.sendBytes(data))
    expect(second).toBeGreaterThan(first * 0.9)
  })

  test('server context takeover on and off: we inflate both correctly', async () => {
    for (const serverNoContextTakeover of [false, true]) {
      const data = randomBytes(8000, 4)
      const sizes: number[] = []
      const ws = await setup({ threshold: 0, serverNoContextTakeover }, { compress: { serverNoContextTakeover } }, (p) => {
        p.on('message', () => {
          const before = sock(p).bytesWritten
          p.send(data, { binary: true }, () => sizes.push(sock(p).bytesWritten - before))
        })
      })
      for (let i = 0; i < 3; i++) {
        await ws.sendStr('go')
        expect(Buffer.from(await ws.receiveBytes({ timeout: 5000 })).equals(data)).toBe(true)
      }
      if (serverNoContextTakeover) expect(sizes[2]).toBeGreaterThan(sizes[0]! * 0.9)
      else expect(sizes[2]).toBeLessThan(sizes[0]! / 4)
      await ws.close()
    }
  })

  test('compress: false offers nothing; sendStr({ compress: false }) and the threshold send raw bytes', async () => {
    const plain = await setup({ threshold: 0 }, { compress: false })
    expect(plain.extensions).toBeNull()
    const big = 'a'.repeat(50000)
    expect(await bytesIn(plain, () => plain.sendStr(big))).toBeGreaterThan(50000)
    await plain.close()

    const ws = await setup({ threshold: 0 })
    expect(await bytesIn(ws, () => ws.sendStr(big, { compress: false }))).toBeGreaterThan(50000)
    expect(await bytesIn(ws, () => ws.sendStr(big))).toBeLessThan(5000)
    // Under the 1024-byte threshold: raw.
    const small = 'b'.repeat(1000)
    expect(await bytesIn(ws, () => ws.sendStr(small))).toBeGreaterThan(1000)
  })
})
