// wsConnect against a real `ws` server: echo of text, binary and JSON, fragmented messages,
// pings and pongs (autoping on and off), the close handshake both ways, subprotocols, heartbeat,
// abort, receive timeouts and backpressure.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AbortError, ConnectionClosedError, InvalidArgumentError, ReadTimeoutError, WebSocketError } from '@sonic/core'
import { wsConnect, type WebSocketClient } from '../src/index.js'
import { echo, sleep, startWs, until, useCleanups, type WsServer } from './helpers.js'

describe('wsConnect against ws', () => {
  let server: WsServer
  /** Per path, what the server does with a new connection. */
  const behaviours: Record<string, (ws: import('ws').WebSocket, req: import('node:http').IncomingMessage) => void> = {}
  const serverSockets: import('ws').WebSocket[] = []

  beforeAll(async () => {
    server = await startWs(
      {
        perMessageDeflate: false,
        handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
      },
      (ws, req) => {
        serverSockets.push(ws)
        ws.on('error', () => {})
        const b = behaviours[new URL(req.url!, 'http://x').pathname]
        if (b !== undefined) b(ws, req)
        else echo(ws)
      },
    )
  })
  afterAll(() => server.close())
  const cleanups = useCleanups()

  async function open(path = '/', opts: Parameters<typeof wsConnect>[1] = {}): Promise<WebSocketClient> {
    const ws = await wsConnect(`${server.url}${path}`, opts)
    // Reversed after the test: our close first, then whatever the server still holds.
    cleanups.push(() => {
      for (const s of serverSockets.splice(0)) s.terminate()
    })
    cleanups.push(() => ws.close().catch(() => {}))
    return ws
  }

  test('text, binary and JSON echo; receiveStr/receiveBytes/receiveJson', async () => {
    const ws = await open()
    expect(ws.protocol).toBeNull()
    expect(ws.response.status).toBe(101)
    await ws.sendStr('héllo ✓')
    expect(await ws.receive()).toEqual({ type: 'text', data: 'héllo ✓', extra: null })
    await ws.sendBytes(new Uint8Array([0, 1, 2, 255]))
    const m = await ws.receive()
    expect(m.type).toBe('binary')
    expect([...(m.data as Uint8Array)]).toEqual([0, 1, 2, 255])
    await ws.sendJson({ a: [1, 2], b: 'x' })
    expect(await ws.receiveJson()).toEqual({ a: [1, 2], b: 'x' })
    await ws.sendStr('s')
    expect(await ws.receiveStr()).toBe('s')
    await ws.sendBytes(new Uint8Array(70000).fill(7).buffer)
    const big = await ws.receiveBytes()
    expect(big.length).toBe(70000)
    expect(big.every((b) => b === 7)).toBe(true)
    await ws.sendStr('')
    expect(await ws.receiveStr()).toBe('')
  })

  test('receiveStr on a binary message → WebSocketError; bad JSON → WebSocketError', async () => {
    const ws = await open()
    await ws.sendBytes(new Uint8Array([1]))
    await expect(ws.receiveStr()).rejects.toBeInstanceOf(WebSocketError)
    await ws.sendStr('{nope')
    await expect(ws.receiveJson()).rejects.toBeInstanceOf(WebSocketError)
  })

  test('bad arguments → InvalidArgumentError', async () => {
    const ws = await open()
    await expect(ws.sendStr(1 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.sendBytes('x' as unknown as Uint8Array)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.sendJson(undefined)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.ping(new Uint8Array(126))).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.close({ code: 1005 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.close({ code: 2999 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.close({ code: 1015 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.close({ reason: 'x'.repeat(124) })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(ws.receive({ timeout: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wsConnect('ftp://127.0.0.1/')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wsConnect('not a url')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wsConnect(server.url, { protocols: ['bad protocol'] })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wsConnect(server.url, { maxMsgSize: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wsConnect(server.url, { compress: { serverMaxWindowBits: 16 } })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  test('a fragmented message from the server, with a ping between the fragments', async () => {
    behaviours['/fragments'] = (ws) => {
      ws.send('hel', { fin: false })
      ws.ping('mid')
      ws.send('lo ✓', { fin: true })
      ws.send(Buffer.from([1, 2]), { binary: true, fin: false })
      ws.send(Buffer.from([3]), { binary: true, fin: true })
    }
    const ws = await open('/fragments', { autoping: false })
    const ping = await ws.receive()
    expect(ping.type).toBe('ping')
    expect(Buffer.from(ping.data as Uint8Array).toString()).toBe('mid')
    expect(await ws.receive()).toEqual({ type: 'text', data: 'hello ✓', extra: null })
    expect([...(await ws.receiveBytes())]).toEqual([1, 2, 3])
  })

  test('autoping answers pings and hides them; autoping: false gives ping and pong to receive()', async () => {
    const pongs: string[] = []
    behaviours['/ping'] = (ws) => {
      ws.on('pong', (d) => pongs.push(d.toString()))
      ws.on('ping', () => {})
      ws.ping('p1')
      ws.send('after')
    }
    const auto = await open('/ping')
    expect(await auto.receiveStr()).toBe('after')
    await until(() => pongs.length === 1)
    expect(pongs).toEqual(['p1'])

    const manual = await open('/ping', { autoping: false })
    const m = await manual.receive()
    expect(m.type).toBe('ping')
    await manual.pong(m.data as Uint8Array)
    await until(() => pongs.length === 2)
    await manual.ping('x')
    expect(await manual.receiveStr()).toBe('after')
    const pong = await manual.receive()
    expect(pong.type).toBe('pong')
    expect(Buffer.from(pong.data as Uint8Array).toString()).toBe('x')
  })

  test('the server closes: close message (code and reason), closeCode, iteration ends, later sends fail', async () => {
    const got: { code: number; reason: string }[] = []
    behaviours['/bye'] = (ws) => {
      ws.on('close', (code, reason) => got.push({ code, reason: reason.toString() }))
      ws.send('one')
      ws.send('two')
      ws.close(4001, 'done here')
    }
    const ws = await open('/bye')
    const seen: string[] = []
    for await (const m of ws) seen.push(m.data as string)
    expect(seen).toEqual(['one', 'two'])
    expect(ws.closeCode).toBe(4001)
    expect(ws.closeReason).toBe('done here')
    expect(await ws.receive()).toEqual({ type: 'close', data: 4001, extra: 'done here' })
    await expect(ws.sendStr('late')).rejects.toBeInstanceOf(ConnectionClosedError)
    // autoclose answered with the same code.
    await until(() => got.length === 1)
    expect(got[0]!.code).toBe(4001)
    await ws.close()
  })

  test('autoclose: false hands the close to receive(); close() answers it', async () => {
    const got: number[] = []
    behaviours['/bye-manual'] = (ws) => {
      ws.on('close', (code) => got.push(code))
      ws.close(1000)
    }
    const ws = await open('/bye-manual', { autoclose: false })
    expect(await ws.receive()).toEqual({ type: 'close', data: 1000, extra: '' })
    expect(ws.closed).toBe(false)
    await ws.close({ code: 3003 })
    await until(() => got.length === 1)
    expect(got[0]).toBe(3003)
  })

  test('close({ code, reason }) from us: the server sees them, close() resolves after the handshake', async () => {
    const got: { code: number; reason: string }[] = []
    behaviours['/listen'] = (ws) => ws.on('close', (code, reason) => got.push({ code, reason: reason.toString() }))
    const ws = await open('/listen')
    await ws.close({ code: 3000, reason: 'bye ✓' })
    expect(ws.closed).toBe(true)
    expect(ws.closeCode).toBe(3000)
    await until(() => got.length === 1)
    expect(got[0]).toEqual({ code: 3000, reason: 'bye ✓' })
    expect(await ws.receive()).toMatchObject({ type: 'close' })
    await ws.close() // twice is fine
  })

  test('await using closes the connection', async () => {
    const got: number[] = []
    behaviours['/using'] = (ws) => ws.on('close', (code) => got.push(code))
    {
      await using ws = await wsConnect(`${server.url}/using`)
      await ws.sendStr('x')
    }
    await until(() => got.length === 1)
    expect(got[0]).toBe(1000)
  })

  test('subprotocols: the server picks one we offered', async () => {
    const ws = await open('/', { protocols: ['other', 'chat'] })
    expect(ws.protocol).toBe('chat')
    const none = await open('/', { protocols: ['other'] })
    expect(none.protocol).toBeNull()
  })

  test('headers and origin reach the server; ours win over user ones', async () => {
    let seen: import('node:http').IncomingHttpHeaders = {}
    behaviours['/headers'] = (ws, req) => {
      seen = req.headers
      ws.close()
    }
    const ws = await open('/headers', { headers: { 'x-token': 'abc', upgrade: 'nope' }, origin: 'http://app.local' })
    await ws.receive()
    expect(seen['x-token']).toBe('abc')
    expect(seen.origin).toBe('http://app.local')
    expect(seen.upgrade).toBe('websocket')
    expect(seen['sec-websocket-version']).toBe('13')
  })

  test('receive({ timeout }) → ReadTimeoutError and the connection stays usable; receive({ signal }) → AbortError', async () => {
    const ws = await open()
    await expect(ws.receive({ timeout: 50 })).rejects.toBeInstanceOf(ReadTimeoutError)
    const ac = new AbortController()
    const p = ws.receive({ signal: ac.signal })
    ac.abort()
    await expect(p).rejects.toBeInstanceOf(AbortError)
    await ws.sendStr('still here')
    expect(await ws.receiveStr({ timeout: 5000 })).toBe('still here')
  })

  test('the signal option: aborting an open connection drops it; receive() → AbortError', async () => {
    const ac = new AbortController()
    const ws = await open('/', { signal: ac.signal })
    const p = ws.receive()
    ac.abort()
    await expect(p).rejects.toBeInstanceOf(AbortError)
    expect(ws.closeCode).toBe(1006)
  })

  test('an aborted signal fails the handshake with AbortError', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(wsConnect(server.url, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError)
  })

  test('the server drops TCP without a close frame → WebSocketError 1006', async () => {
    behaviours['/drop'] = (ws) => {
      ws.send('last')
      setTimeout(() => ws.terminate(), 20)
    }
    const ws = await open('/drop')
    expect(await ws.receiveStr()).toBe('last')
    const err = await ws.receive().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).closeCode).toBe(1006)
    expect(ws.closeCode).toBe(1006)
    await expect((async () => { for await (const _ of ws) {} })()).rejects.toBeInstanceOf(WebSocketError)
  })

  test('heartbeat: pings are sent; a server that stops answering → 1006 and WebSocketError', async () => {
    let pings = 0
    behaviours['/heartbeat'] = (ws) => {
      ws.on('ping', () => pings++)
    }
    // The server runs in this process: a generous window, so a loaded box never starves its pong.
    const ws = await open('/heartbeat', { heartbeat: 1000 })
    await until(() => pings >= 2, 10000)
    expect(ws.closed).toBe(false)

    // A server whose socket stops reading: no pong comes back.
    behaviours['/deaf'] = (ws) => {
      ;(ws as unknown as { _socket: import('node:net').Socket })._socket.pause()
    }
    const deaf = await open('/deaf', { heartbeat: 100 })
    const err = await deaf.receive({ timeout: 5000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebSocketError)
    expect((err as WebSocketError).closeCode).toBe(1006)
    expect(deaf.closeCode).toBe(1006)
  })

  test('backpressure in: a slow receiver pauses the socket, nothing is lost', async () => {
    const N = 1000
    behaviours['/flood'] = (ws) => {
      const msg = 'x'.repeat(32 * 1024)
      for (let i = 0; i < N; i++) ws.send(`${i}:${msg}`)
    }
    const ws = await open('/flood')
    await sleep(300)
    // The server wrote everything into its socket; we hold only a bounded queue and the socket is paused.
    const sock = serverSockets[0] as unknown as { _socket: import('node:net').Socket }
    expect(sock._socket.writableLength).toBeGreaterThan(0)
    for (let i = 0; i < N; i++) expect((await ws.receiveStr()).startsWith(`${i}:`)).toBe(true)
  })

  test('backpressure out: send resolves after drain when the server does not read', async () => {
    behaviours['/no-read'] = (ws) => {
      ;(ws as unknown as { _socket: import('node:net').Socket })._socket.pause()
    }
    const ws = await open('/no-read')
    const chunk = new Uint8Array(1024 * 1024)
    let resolved = 0
    let pending: Promise<void> | null = null
    for (let i = 0; i < 64; i++) {
      pending = ws.sendBytes(chunk).then(
        () => {
          resolved++
        },
        () => {},
      )
    }
    await sleep(300)
    expect(resolved).toBeLessThan(64)
    for (const s of serverSockets) s.terminate()
    await pending
    expect(ws.closeCode).toBe(1006)
  })
})
