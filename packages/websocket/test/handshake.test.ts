// The opening handshake (RFC 6455 §4.1, RFC 7692 §5-7) against a raw TCP server that answers
// exactly what each test wants: what we send, and every way a 101 can be wrong.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AbortError, ConnectError, ConnectTimeoutError, WebSocketError, isSonicError } from '@sonic/core'
import { wsConnect } from '../src/index.js'
import { accept, acceptOf, frame, freePort, startRawWs, useCleanups, type RawConn, type Started } from './helpers.js'
import type * as net from 'node:net'

describe('opening handshake', () => {
  let server: Started<net.Server>
  let answer: (conn: RawConn) => void = (c) => accept(c)
  let last: RawConn | null = null
  beforeAll(async () => {
    server = await startRawWs((conn) => {
      last = conn
      answer(conn)
    })
  })
  afterAll(() => server.close())
  const cleanups = useCleanups()
  const url = (path = '/'): string => `ws://127.0.0.1:${server.port}${path}`

  async function refused(opts: Parameters<typeof wsConnect>[1] = {}): Promise<WebSocketError> {
    const err = await wsConnect(url(), { timeout: 5000, ...opts }).catch((e: unknown) => e)
    cleanups.push(() => last?.socket.destroy())
    expect(err).toBeInstanceOf(WebSocketError)
    return err as WebSocketError
  }

  test('the request: GET path and query, Host, Upgrade, Connection, a 16-byte key, version 13, offers', async () => {
    answer = (c) => accept(c)
    const ws = await wsConnect(url('/chat?room=1#frag'), { protocols: ['a', 'b'] })
    cleanups.push(() => ws.close().catch(() => {}))
    cleanups.push(() => last?.socket.destroy())
    const { request, headers } = last!
    expect(request.split('\r\n')[0]).toBe('GET /chat?room=1 HTTP/1.1')
    expect(headers.host).toBe(`127.0.0.1:${server.port}`)
    expect(headers.upgrade).toBe('websocket')
    expect(headers.connection).toMatch(/upgrade/i)
    expect(Buffer.from(headers['sec-websocket-key']!, 'base64').length).toBe(16)
    expect(headers['sec-websocket-version']).toBe('13')
    expect(headers['sec-websocket-protocol']).toBe('a, b')
    expect(headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits')
    expect(ws.protocol).toBeNull()
    expect(ws.extensions).toBeNull()
  })

  test('two connections use different keys', async () => {
    const keys: string[] = []
    answer = (c) => {
      keys.push(c.headers['sec-websocket-key']!)
      accept(c)
    }
    for (let i = 0; i < 2; i++) {
      const ws = await wsConnect(url())
      const conn = last!
      cleanups.push(() => ws.close().catch(() => {}))
      cleanups.push(() => conn.socket.destroy())
    }
    expect(keys[0]).not.toBe(keys[1])
  })

  test('bytes right after the 101 (same write) are the first frames', async () => {
    answer = (c) => {
      const key = c.headers['sec-websocket-key']!
      c.socket.write(
        Buffer.concat([Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(key)}\r\n\r\n`), frame(1, 'early')]),
      )
    }
    const ws = await wsConnect(url())
    cleanups.push(() => ws.close().catch(() => {}))
    cleanups.push(() => last?.socket.destroy())
    expect(await ws.receiveStr()).toBe('early')
  })

  test('a wrong Sec-WebSocket-Accept → WebSocketError', async () => {
    answer = (c) => c.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
    const err = await refused()
    expect(err.status).toBe(101)
    expect(err.message).toMatch(/Accept/)
  })

  test('no Sec-WebSocket-Accept, wrong Upgrade or Connection → WebSocketError', async () => {
    const key = (c: RawConn): string => acceptOf(c.headers['sec-websocket-key']!)
    answer = (c) => c.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    await refused()
    answer = (c) => c.socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${key(c)}\r\n\r\n`)
    expect((await refused()).message).toMatch(/Upgrade/)
    answer = (c) => c.socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: ${key(c)}\r\n\r\n`)
    expect((await refused()).message).toMatch(/Connection/)
  })

  test('a non-101 answer → WebSocketError with its status', async () => {
    answer = (c) => c.socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\nno way')
    expect((await refused()).status).toBe(403)
    answer = (c) => c.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')
    expect((await refused()).status).toBe(200)
  })

  test('subprotocols: one we did not offer, or one when we offered none, → WebSocketError', async () => {
    answer = (c) => accept(c, ['Sec-WebSocket-Protocol: c'])
    expect((await refused({ protocols: ['a', 'b'] })).message).toMatch(/subprotocol/)
    expect((await refused()).message).toMatch(/subprotocol/)
    answer = (c) => accept(c, ['Sec-WebSocket-Protocol: b'])
    const ws = await wsConnect(url(), { protocols: ['a', 'b'] })
    cleanups.push(() => ws.close().catch(() => {}))
    cleanups.push(() => last?.socket.destroy())
    expect(ws.protocol).toBe('b')
  })

  test('extensions we did not offer, or bad permessage-deflate parameters → WebSocketError', async () => {
    const bads: [string, Parameters<typeof wsConnect>[1]][] = [
      ['x-unknown', {}],
      ['permessage-deflate', { compress: false }],
      ['permessage-deflate; foo', {}],
      ['permessage-deflate; server_max_window_bits=7', {}],
      ['permessage-deflate; server_max_window_bits', {}],
      ['permessage-deflate; server_max_window_bits=12', { compress: { serverMaxWindowBits: 10 } }],
      ['permessage-deflate; client_max_window_bits=10', { compress: { clientMaxWindowBits: false } }],
      ['permessage-deflate; client_max_window_bits=12', { compress: { clientMaxWindowBits: 10 } }],
      ['permessage-deflate; server_no_context_takeover=1', {}],
      ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
      ['permessage-deflate, permessage-deflate', {}],
      ['permessage-deflate', { compress: { serverNoContextTakeover: true } }],
    ]
    for (const [ext, opts] of bads) {
      answer = (c) => accept(c, [`Sec-WebSocket-Extensions: ${ext}`])
      const err = await refused(opts)
      expect(err.status).toBe(101)
    }
  })

  test('an accepted permessage-deflate answer with parameters', async () => {
    answer = (c) => accept(c, ['Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10'])
    const ws = await wsConnect(url(), { compress: { serverNoContextTakeover: true, clientMaxWindowBits: 12 } })
    cleanups.push(() => ws.close().catch(() => {}))
    cleanups.push(() => last?.socket.destroy())
    expect(last!.headers['sec-websocket-extensions']).toBe('permessage-deflate; server_no_context_takeover; client_max_window_bits=12')
    expect(ws.extensions).toMatch(/permessage-deflate/)
  })

  test('a server that never answers → ConnectTimeoutError after timeout', async () => {
    answer = () => {}
    const err = await wsConnect(url(), { timeout: 200 }).catch((e: unknown) => e)
    cleanups.push(() => last?.socket.destroy())
    expect(err).toBeInstanceOf(ConnectTimeoutError)
  })

  test('aborting during the handshake → AbortError', async () => {
    answer = () => {}
    const ac = new AbortController()
    const p = wsConnect(url(), { signal: ac.signal })
    setTimeout(() => ac.abort(), 50)
    expect(await p.catch((e: unknown) => e)).toBeInstanceOf(AbortError)
    cleanups.push(() => last?.socket.destroy())
  })

  test('the server hangs up during the handshake → a sonic error, not a hang', async () => {
    answer = (c) => c.socket.destroy()
    const err = await wsConnect(url(), { timeout: 5000 }).catch((e: unknown) => e)
    expect(isSonicError(err)).toBe(true)
    expect(err).not.toBeInstanceOf(ConnectTimeoutError)
  })

  test('nothing listening → ConnectError', async () => {
    const port = await freePort()
    expect(await wsConnect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e)).toBeInstanceOf(ConnectError)
  })
})
