// Fixtures of the websocket tests: a `ws` server on 127.0.0.1, a raw TCP server that does the
// handshake by hand and then writes whatever frames a test wants (for misbehaviour `ws` would
// refuse to send), a server-side frame builder, and the leak check (sockets, servers and the
// timers of websocket/src).
import { createHash } from 'node:crypto'
import type * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as net from 'node:net'
import { WebSocketServer, type ServerOptions } from 'ws'

export { WebSocketServer }
import { sep } from 'node:path'
import { NET_HANDLES, callerFrame, createLeakCheck, start, type Started } from '@sonic/test-utils'

export { freePort, hasCommand, makeCerts, prng, sleep, start, startDaemon, until, type Daemon, type Started, type TestCerts } from '@sonic/test-utils'

// Timers armed by websocket/src itself (the caller of setTimeout): not those a library it calls
// arms, such as the `socks` package's unref'd handshake timer, which it never clears by design.
const OURS = `websocket${sep}src${sep}`
const leaks = createLeakCheck({ ours: (stack) => callerFrame(stack).includes(OURS), handles: NET_HANDLES })
export const useCleanups = leaks.useCleanups
export const expectNoLeaks = leaks.expectNoLeaks
export const timersCreated = leaks.timersCreated

export interface WsServer {
  wss: WebSocketServer
  port: number
  url: string
  close(): Promise<void>
}

/** A `ws` server on 127.0.0.1 (random port); `onConnection` gets each socket and its request. */
export async function startWs(options: ServerOptions, onConnection: (ws: import('ws').WebSocket, req: http.IncomingMessage) => void): Promise<WsServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options })
  wss.on('connection', onConnection)
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const port = (wss.address() as AddressInfo).port
  return {
    wss,
    port,
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}

/** An echo server: every message back as it came (text as text, binary as binary). */
export function echo(ws: import('ws').WebSocket): void {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => {})
}

export function acceptOf(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
}

/** One frame as a server writes it (unmasked unless `mask`). */
export function frame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  opts: { fin?: boolean; rsv?: number; mask?: boolean; len64?: bigint } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload)
  const { fin = true, rsv = 0, mask = false } = opts
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
  const m = mask ? 0x80 : 0
  let ext = Buffer.alloc(0)
  if (opts.len64 !== undefined) {
    head.push(m | 127)
    ext = Buffer.alloc(8)
    ext.writeBigUInt64BE(opts.len64)
  } else if (data.length < 126) head.push(m | data.length)
  else if (data.length < 0x10000) {
    head.push(m | 126)
    ext = Buffer.alloc(2)
    ext.writeUInt16BE(data.length)
  } else {
    head.push(m | 127)
    ext = Buffer.alloc(8)
    ext.writeBigUInt64BE(BigInt(data.length))
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data])
  const key = Buffer.from([1, 2, 3, 4])
  const masked = Buffer.from(data.map((b, i) => b ^ key[i % 4]!))
  return Buffer.concat([Buffer.from(head), ext, key, masked])
}

export function closeFrame(code: number, reason = ''): Buffer {
  const p = Buffer.alloc(2 + Buffer.byteLength(reason))
  p.writeUInt16BE(code)
  p.write(reason, 2)
  return frame(0x8, p)
}

/** Parses the frames a client sent (masked), for raw servers that check what came. */
export function parseClientFrames(buf: Buffer): { frames: { fin: boolean; rsv1: boolean; opcode: number; payload: Buffer; masked: boolean }[]; rest: Buffer } {
  const frames = []
  let off = 0
  for (;;) {
    if (buf.length - off < 2) break
    const b0 = buf[off]!
    const b1 = buf[off + 1]!
    let len = b1 & 0x7f
    let p = off + 2
    if (len === 126) {
      if (buf.length < p + 2) break
      len = buf.readUInt16BE(p)
      p += 2
    } else if (len === 127) {
      if (buf.length < p + 8) break
      len = Number(buf.readBigUInt64BE(p))
      p += 8
    }
    const masked = (b1 & 0x80) !== 0
    const keyAt = p
    if (masked) p += 4
    if (buf.length < p + len) break
    const payload = Buffer.from(buf.subarray(p, p + len))
    if (masked) for (let i = 0; i < len; i++) payload[i]! ^= buf[keyAt + (i % 4)]!
    frames.push({ fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload, masked })
    off = p + len
  }
  return { frames, rest: buf.subarray(off) }
}

export interface RawConn {
  socket: net.Socket
  /** The request head as text. */
  request: string
  headers: Record<string, string>
  /** Frames the client has sent so far (parsed as they come). */
  frames: ReturnType<typeof parseClientFrames>['frames']
}

/**
 * A raw TCP server: reads the request head, then calls `onRequest` which answers (for a
 * handshake by the book, call `accept(conn)`) and writes whatever it likes.
 */
export function startRawWs(onRequest: (conn: RawConn) => void): Promise<Started<net.Server>> {
  return start(
    net.createServer((socket) => {
      socket.on('error', () => {})
      let buf = Buffer.alloc(0)
      let conn: RawConn | null = null
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk])
        if (conn === null) {
          const end = buf.indexOf('\r\n\r\n')
          if (end < 0) return
          const request = buf.subarray(0, end).toString('latin1')
          buf = buf.subarray(end + 4)
          const headers: Record<string, string> = {}
          for (const line of request.split('\r\n').slice(1)) {
            const i = line.indexOf(':')
            headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
          }
          conn = { socket, request, headers, frames: [] }
          onRequest(conn)
        }
        const { frames, rest } = parseClientFrames(buf)
        conn.frames.push(...frames)
        buf = Buffer.from(rest)
      })
    }),
  )
}

/** The 101 a correct server sends, with extra header lines. */
export function accept(conn: RawConn, extra: string[] = []): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptOf(conn.headers['sec-websocket-key']!)}`, ...extra]
  conn.socket.write(`${lines.join('\r\n')}\r\n\r\n`)
}

/**
 * tinyproxy on 127.0.0.1 (a free port) in the foreground with a temporary config: only
 * 127.0.0.1 may use it, CONNECT to any port, Basic auth when `auth` is given.
 */
export async function startTinyproxy(auth?: { username: string; password: string }): Promise<import('@sonic/test-utils').Daemon> {
  const { mkdtempSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { freePort, startDaemon } = await import('@sonic/test-utils')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sonic-ws-tinyproxy-'))
  const lines = ['Listen 127.0.0.1', `Port ${port}`, 'Timeout 30', 'MaxClients 100', 'Allow 127.0.0.1', 'LogLevel Info', 'DisableViaHeader Yes']
  if (auth !== undefined) lines.push(`BasicAuth ${auth.username} ${auth.password}`)
  const conf = join(dir, 'tinyproxy.conf')
  writeFileSync(conf, `${lines.join('\n')}\n`)
  return startDaemon('tinyproxy', ['-d', '-c', conf], port, dir)
}
