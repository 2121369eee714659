// upgrade(): a 101 or a 2xx to CONNECT hands the socket over with the bytes read past the head;
// any other answer comes with its body and the connection goes on as after request().
import { getEventListeners } from 'node:events'
import * as http from 'node:http'
import * as net from 'node:net'
import type { Duplex } from 'node:stream'
import {
  AbortError,
  ConnectionClosedError,
  HttpParserError,
  InvalidArgumentError,
  ReadTimeoutError,
  type HttpRequest,
} from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { Http1Connection, type UpgradeResult } from '../src/index.js'
import { makeRequest, openConn, sleep, start, startHttp, startRaw, text, until, useCleanups } from './helpers.js'

const cleanups = useCleanups()

const UPGRADE = ['connection', 'upgrade', 'upgrade', 'echo']
const str = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')

async function track<T extends { close(): Promise<void> }>(started: Promise<T>): Promise<T> {
  const s = await started
  cleanups.push(() => s.close())
  return s
}

type HandedOver = Extract<UpgradeResult, { socket: Duplex }>

function handedOver(res: UpgradeResult): HandedOver {
  if (res.socket === null) throw new Error(`expected a hand-over, got ${res.status}`)
  const socket = res.socket
  cleanups.push(() => socket.destroy())
  return res
}

/** Collects what `socket` emits from now on (the first 'data' listener resumes it). */
function collect(socket: Duplex): { readonly text: string } {
  const got = { text: '' }
  socket.on('data', (chunk: Buffer) => (got.text += chunk.toString('latin1')))
  return got
}

/** Answers 101 plus the first bytes of the new protocol in one write, more soon after, later more; then echoes. */
function upgradeServer(server: http.Server): void {
  server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: Upgrade\r\n\r\nFIRST')
    socket.write('SECOND')
    setTimeout(() => socket.write('LATER'), 50)
    socket.on('data', (chunk: Buffer) => socket.write(chunk))
    socket.on('error', () => {})
  })
}

/** Reads request heads (no bodies) off `socket` and answers each with `answer(index, head)`. */
function onHeads(socket: net.Socket, answer: (index: number, head: string) => void): void {
  let buffered = ''
  let index = 0
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1')
    for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
      const head = buffered.slice(0, end + 4)
      buffered = buffered.slice(end + 4)
      answer(index++, head)
    }
  })
}

const connectReq = (target: string, init: Partial<HttpRequest> = {}): HttpRequest =>
  makeRequest({ method: 'CONNECT', path: target, authority: target, ...init })

describe('hand-over', () => {
  test('101: head holds the bytes of the same read, later bytes wait for the caller; echo both ways; the connection lets go', async () => {
    const srv = await track(startHttp((_req, res) => res.end('plain')))
    upgradeServer(srv.server)
    const conn = await openConn(cleanups, srv.port)
    let closes = 0
    conn.onClose = () => closes++
    const res = handedOver(await conn.upgrade(makeRequest({ headers: UPGRADE })))
    expect(res).toMatchObject({ status: 101, statusText: 'Switching Protocols' })
    expect(res.headers.get('upgrade')).toBe('echo')
    expect(res.socket).toBe(conn.socket)
    expect(str(res.head).startsWith('FIRST')).toBe(true)
    expect(conn.closed).toBe(true)
    expect(conn.busy).toBe(false)
    expect(closes).toBe(1)

    // Nobody listens for a while: 'SECOND' (if not in head) and 'LATER' wait in the socket.
    await sleep(100)
    // Another connection parses meanwhile (the shared WASM input buffer is reused): head stays valid.
    const other = await openConn(cleanups, srv.port)
    expect(await text((await other.request(makeRequest())).body)).toBe('plain')
    expect(str(res.head).startsWith('FIRST')).toBe(true)

    const got = collect(res.socket)
    await until(() => got.text.endsWith('LATER'))
    expect(str(res.head) + got.text).toBe('FIRSTSECONDLATER')
    res.socket.write('ping')
    await until(() => got.text.endsWith('ping'))
    expect(str(res.head) + got.text).toBe('FIRSTSECONDLATERping')

    // The connection no longer owns the socket: destroy() and setIdle() leave it alone.
    conn.destroy()
    conn.setIdle(true)
    expect(res.socket.destroyed).toBe(false)
    await expect(conn.request(makeRequest())).rejects.toBeInstanceOf(ConnectionClosedError)
    res.socket.write('again')
    await until(() => got.text.endsWith('again'))
  })

  test('101 whose head spans two reads: head is the rest of the second one', async () => {
    const srv = await track(
      startRaw((socket) =>
        socket.once('data', () => {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\n')
          setTimeout(() => socket.write('connection: upgrade\r\n\r\nDATA'), 30)
        }),
      ),
    )
    const conn = await openConn(cleanups, srv.port)
    const res = handedOver(await conn.upgrade(makeRequest({ headers: UPGRADE })))
    expect(res.status).toBe(101)
    expect(str(res.head)).toBe('DATA')
  })

  test('CONNECT → 200: a tunnel to a second server, bytes both ways; Host is the target, no framing header', async () => {
    const echo = await track(
      startRaw((socket) => {
        socket.write('hello from echo\n')
        socket.on('data', (chunk) => socket.write(chunk))
      }),
    )
    const upstreams: net.Socket[] = []
    cleanups.push(() => upstreams.forEach((s) => s.destroy()))
    const seen: { url?: string; headers?: http.IncomingHttpHeaders } = {}
    const proxy = await track(startHttp((_req, res) => res.end()))
    proxy.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      seen.url = req.url
      seen.headers = req.headers
      const [host, port] = req.url!.split(':')
      const up = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        if (head.length > 0) up.write(head)
        // Not pipe(): it looks at process.stdout, which opens handles the leak check counts.
        up.on('data', (chunk: Buffer) => client.write(chunk))
        client.on('data', (chunk: Buffer) => up.write(chunk))
      })
      upstreams.push(up)
      up.on('error', () => client.destroy())
      client.on('error', () => up.destroy())
    })
    const target = `127.0.0.1:${echo.port}`
    const conn = await openConn(cleanups, proxy.port)
    const res = handedOver(await conn.upgrade(connectReq(target, { authority: `127.0.0.1:${proxy.port}` })))
    expect(res.status).toBe(200)
    expect(res.statusText).toBe('Connection Established')
    expect(conn.closed).toBe(true)
    expect(seen.url).toBe(target)
    expect(seen.headers!.host).toBe(target)
    expect(seen.headers!['content-length']).toBeUndefined()
    expect(seen.headers!['transfer-encoding']).toBeUndefined()

    const got = collect(res.socket)
    const all = (): string => str(res.head) + got.text
    await until(() => all() === 'hello from echo\n')
    res.socket.write('through the tunnel')
    await until(() => all() === 'hello from echo\nthrough the tunnel')
  })

  test('a 2xx to CONNECT has no body whatever it says: HTTP/1.0 200, and a 200 with Content-Length', async () => {
    const answers = ['HTTP/1.0 200 Connection established\r\nproxy-agent: t\r\n\r\ntunnel', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdefgh']
    const srv = await track(startRaw((socket) => socket.once('data', () => socket.write(answers.shift()!))))
    const a = handedOver(await (await openConn(cleanups, srv.port)).upgrade(connectReq('example.com:443')))
    expect(str(a.head)).toBe('tunnel')
    const b = handedOver(await (await openConn(cleanups, srv.port)).upgrade(connectReq('example.com:443')))
    expect(str(b.head)).toBe('abcdefgh')
  })
})

describe('answers that do not hand over', () => {
  test('407 to CONNECT: socket null, body readable, the connection is reused', async () => {
    const heads: string[] = []
    const srv = await track(
      startRaw((socket) =>
        onHeads(socket, (i, head) => {
          heads.push(head)
          if (i === 0) socket.write('HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="p"\r\ncontent-length: 11\r\n\r\nauth needed')
          else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
        }),
      ),
    )
    const conn = await openConn(cleanups, srv.port)
    const res = await conn.upgrade(connectReq('example.com:443'))
    expect(res.status).toBe(407)
    expect(res.socket).toBeNull()
    expect(res.headers.get('proxy-authenticate')).toBe('Basic realm="p"')
    if (res.socket !== null) return
    expect(await text(res.body)).toBe('auth needed')
    expect(heads[0]).toBe('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n')
    expect(conn.closed).toBe(false)

    const again = await conn.request(makeRequest())
    expect(await text(again.body)).toBe('ok')
    expect(srv.sockets.length).toBe(1)
    expect(conn.requestCount).toBe(2)
  })

  test('400 to an upgrade request: socket null, body readable (or cancelled), the connection is reused', async () => {
    // No 'upgrade' listener: node:http hands the request to the request handler.
    const srv = await track(startHttp((req, res) => (req.headers.upgrade !== undefined ? res.writeHead(400).end('no upgrade here') : res.end('plain'))))
    const conn = await openConn(cleanups, srv.port)
    const res = await conn.upgrade(makeRequest({ headers: UPGRADE }))
    expect(res).toMatchObject({ status: 400, socket: null })
    if (res.socket !== null) return
    expect(await text(res.body)).toBe('no upgrade here')
    expect(conn.closed).toBe(false)
    expect(await text((await conn.request(makeRequest())).body)).toBe('plain')

    const refused = await conn.upgrade(makeRequest({ headers: UPGRADE }))
    if (refused.socket !== null) throw new Error('expected no hand-over')
    await refused.body.cancel()
    expect(await text((await conn.request(makeRequest())).body)).toBe('plain')
    expect(srv.sockets.length).toBe(1)
  })
})

describe('errors', () => {
  test('a 101 to a CONNECT that did not offer an upgrade → HttpParserError (HPE_UNEXPECTED_UPGRADE)', async () => {
    const srv = await track(startRaw((socket) => socket.once('data', () => socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\nbytes'))))
    const conn = await openConn(cleanups, srv.port)
    const err = await conn.upgrade(connectReq('example.com:443')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpParserError)
    expect((err as HttpParserError).llhttpCode).toBe('HPE_UNEXPECTED_UPGRADE')
    expect(conn.closed).toBe(true)
    expect(conn.socket.destroyed).toBe(true)
  })

  test('the server closes instead of answering → ConnectionClosedError (beforeResponse)', async () => {
    const srv = await track(startRaw((socket) => socket.once('data', () => socket.end())))
    const conn = await openConn(cleanups, srv.port)
    const err = await conn.upgrade(makeRequest({ headers: UPGRADE })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect((err as ConnectionClosedError).beforeResponse).toBe(true)
    expect(conn.closed).toBe(true)
  })

  test('a malformed answer → HttpParserError', async () => {
    const srv = await track(startRaw((socket) => socket.once('data', () => socket.write('HTTP/1.1 2OO OK\r\n\r\n'))))
    const conn = await openConn(cleanups, srv.port)
    await expect(conn.upgrade(connectReq('example.com:443'))).rejects.toBeInstanceOf(HttpParserError)
    expect(conn.socket.destroyed).toBe(true)
  })

  test('abort while waiting for the head → AbortError (cause = reason), socket destroyed', async () => {
    const srv = await track(startRaw(() => {}))
    const conn = await openConn(cleanups, srv.port)
    const ac = new AbortController()
    const pending = conn.upgrade(makeRequest({ headers: UPGRADE, signal: ac.signal }))
    await until(() => srv.sockets.length === 1)
    await sleep(20)
    const reason = new Error('stop')
    ac.abort(reason)
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as Error).cause).toBe(reason)
    expect(conn.socket.destroyed).toBe(true)
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0)
  })

  test('no head within sockRead → ReadTimeoutError, socket destroyed', async () => {
    const srv = await track(startRaw(() => {}))
    const conn = await openConn(cleanups, srv.port)
    const err = await conn.upgrade(connectReq('example.com:443', { sockRead: 100 })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReadTimeoutError)
    expect((err as ReadTimeoutError).timeout).toBe(100)
    expect(conn.socket.destroyed).toBe(true)
  })

  test('misuse → InvalidArgumentError before a byte is written; the connection stays usable', async () => {
    const srv = await track(startHttp((_req, res) => res.end('plain')))
    const conn = await openConn(cleanups, srv.port)
    await expect(conn.request(connectReq('example.com:443'))).rejects.toThrow(/upgrade\(\)/)
    await expect(conn.upgrade(makeRequest())).rejects.toThrow(/Upgrade header, or a CONNECT/)
    await expect(conn.upgrade(makeRequest({ headers: UPGRADE, body: new Uint8Array(1) }))).rejects.toThrow(/no request body/)
    await expect(conn.upgrade(connectReq('example.com'))).rejects.toThrow(/host:port/)
    await expect(conn.upgrade(connectReq('/path'))).rejects.toThrow(/host:port/)
    await expect(conn.upgrade(connectReq('example.com:99999'))).rejects.toThrow(/host:port/)
    await expect(conn.upgrade(connectReq('example.com:443', { body: new Uint8Array(1) }))).rejects.toThrow(/no content/)
    await expect(conn.upgrade(connectReq('example.com:443', { headers: ['content-length', '0'] }))).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(conn.upgrade(makeRequest({ headers: UPGRADE, signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(AbortError)
    expect(conn.requestCount).toBe(0)
    expect(await text((await conn.request(makeRequest())).body)).toBe('plain')
  })
})

test('leaks: after the hand-over nothing of the connection is on the socket (listeners, abort listener, timers)', async () => {
  const srv = await track(start(http.createServer((_req, res) => res.end())))
  upgradeServer(srv.server)
  const socket = net.connect(srv.port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  const EVENTS = ['data', 'end', 'error', 'close', 'drain', 'readable', 'timeout'] as const
  const before = EVENTS.map((e) => socket.listeners(e))
  // Built directly (not through openConn): its destroy() is never called, so the afterEach leak
  // check sees any read timer the hand-over left behind.
  const conn = new Http1Connection(socket)
  const ac = new AbortController()
  const res = handedOver(await conn.upgrade(makeRequest({ headers: UPGRADE, sockRead: 5000, signal: ac.signal })))
  expect(res.socket).toBe(socket)
  expect(EVENTS.map((e) => socket.listeners(e))).toEqual(before)
  expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0)
  expect(socket.readableFlowing).toBeNull()
  ac.abort()
  expect(socket.destroyed).toBe(false)
  const got = collect(socket)
  await until(() => got.text.endsWith('LATER'))
  socket.destroy()
  await new Promise((resolve) => socket.once('close', resolve))
})
