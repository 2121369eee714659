// wsConnect against aiohttp's WebSocket server (Debian python3-aiohttp, installed by .ci/run),
// run by the test from test/aiohttp_server.py: echo with permessage-deflate, subprotocols, closes
// with codes both ways, pings both ways, heartbeat, and misbehaviour (over maxMsgSize, invalid
// UTF-8, an abrupt close, a 403). Reported as skipped when python3-aiohttp is missing.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocketError } from '@sonic/core'
import { wsConnect, type WebSocketClient, type WsConnectOptions } from '../src/index.js'
import { freePort, startDaemon, useCleanups, type Daemon } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const hasAiohttp = spawnSync(PYTHON, ['-c', 'import aiohttp'], { stdio: 'ignore' }).status === 0
const script = fileURLToPath(new URL('./aiohttp_server.py', import.meta.url))

describe.skipIf(!hasAiohttp)('wsConnect against aiohttp', () => {
  let daemon: Daemon
  beforeAll(async () => {
    const port = await freePort()
    daemon = await startDaemon(PYTHON, [script, String(port)], port)
  }, 20000)
  afterAll(() => daemon?.stop())
  const cleanups = useCleanups()

  async function open(path: string, opts: WsConnectOptions = {}): Promise<WebSocketClient> {
    const ws = await wsConnect(`ws://127.0.0.1:${daemon.port}${path}`, opts)
    cleanups.push(() => ws.close())
    return ws
  }

  test('echo of text, binary and JSON with permessage-deflate agreed', async () => {
    const ws = await open('/echo')
    expect(ws.extensions).toMatch(/permessage-deflate/)
    const big = 'aiohttp '.repeat(20000)
    await ws.sendStr(big)
    expect(await ws.receiveStr()).toBe(big)
    await ws.sendBytes(new Uint8Array([1, 2, 3]))
    expect([...(await ws.receiveBytes())]).toEqual([1, 2, 3])
    await ws.sendJson({ hello: ['wörld'] })
    expect(await ws.receiveJson()).toEqual({ hello: ['wörld'] })
    for (let i = 0; i < 200; i++) await ws.sendStr(`m${i} ${'z'.repeat(2000)}`)
    for (let i = 0; i < 200; i++) expect(await ws.receiveStr()).toBe(`m${i} ${'z'.repeat(2000)}`)
  })

  test('echo without compression, and with both no_context_takeover', async () => {
    const plain = await open('/echo?compress=0')
    expect(plain.extensions).toBeNull()
    await plain.sendStr('plain')
    expect(await plain.receiveStr()).toBe('plain')
    const nct = await open('/echo', { compress: { clientNoContextTakeover: true, serverNoContextTakeover: true } })
    expect(nct.extensions).toMatch(/server_no_context_takeover/)
    for (let i = 0; i < 3; i++) {
      const s = `again and again ${'q'.repeat(3000)}`
      await nct.sendStr(s)
      expect(await nct.receiveStr()).toBe(s)
    }
  })

  test('the handshake as aiohttp saw it; a subprotocol it picks', async () => {
    const ws = await open('/info', { protocols: ['v1', 'chat'], origin: 'http://o.example', headers: { 'x-token': 't' } })
    expect(ws.protocol).toBe('chat')
    const info = (await ws.receiveJson()) as Record<string, unknown>
    expect(info).toMatchObject({ origin: 'http://o.example', x_token: 't', compress: 15, protocol: 'chat' })
    expect(ws.response.headers.getSetCookie()[0]).toMatch(/^ws_session=from-101/)
  })

  test('aiohttp closes with 4001: close message, closeCode and reason', async () => {
    const ws = await open('/server-close')
    expect(await ws.receiveStr()).toBe('bye')
    expect(await ws.receive()).toEqual({ type: 'close', data: 4001, extra: 'server done' })
    expect(ws.closeCode).toBe(4001)
    expect(ws.closeReason).toBe('server done')
  })

  test('we ask aiohttp to close (4000), then a close of our own is a no-op', async () => {
    const ws = await open('/echo')
    await ws.sendStr('close-me')
    const seen: string[] = []
    for await (const m of ws) seen.push(String(m.data))
    expect(seen).toEqual([])
    expect(ws.closeCode).toBe(4000)
    await ws.close()
  })

  test('close({ code: 3001 }) from us: aiohttp answers (with 1000), close() resolves', async () => {
    const ws = await open('/echo')
    await ws.close({ code: 3001, reason: 'client done' })
    // closeCode is the server's answer, as in aiohttp's client.
    expect(ws.closeCode).toBe(1000)
    expect(ws.closed).toBe(true)
  })

  test('aiohttp pings us: autoping answers with the same payload', async () => {
    const ws = await open('/pinger')
    expect(await ws.receiveStr()).toBe('PONG:from-aiohttp')
  })

  test('heartbeat against aiohttp: alive while it answers, 1006 when it does not', async () => {
    const alive = await open('/echo', { heartbeat: 300 })
    await new Promise((r) => setTimeout(r, 1000))
    await alive.sendStr('still')
    expect(await alive.receiveStr()).toBe('still')

    const deaf = await open('/deaf', { heartbeat: 100 })
    const err = await deaf.receive({ timeout: 5000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).closeCode).toBe(1006)
  })

  test('misbehaviour: over maxMsgSize → 1009; invalid UTF-8 → 1007; abrupt close → 1006', async () => {
    for (const [path, code] of [['/huge', 1009], ['/bad-utf8', 1007]] as const) {
      const ws = await open(path)
      const err = await ws.receive({ timeout: 10000 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WebSocketError)
      expect((err as WebSocketError).closeCode).toBe(code)
    }
    const ws = await open('/abrupt')
    expect(await ws.receiveStr()).toBe('last words')
    const err = await ws.receive({ timeout: 10000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).closeCode).toBe(1006)
  })

  test('a 403 from aiohttp → WebSocketError with status 403', async () => {
    const err = await wsConnect(`ws://127.0.0.1:${daemon.port}/forbidden`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).status).toBe(403)
  })
})
