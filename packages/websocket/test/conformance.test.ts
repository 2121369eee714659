// A frame-level conformance corpus after RFC 6455 §5 and the intent of the Autobahn testsuite's
// cases (1.x framing, 2.x pings, 3.x reserved bits, 4.x opcodes, 5.x fragmentation, 6.x UTF-8,
// 7.x close, 9.x limits, 12/13 permessage-deflate): a raw server does the handshake by hand and
// writes exactly the bytes of each case; the test checks what the client delivered, the close
// code it sent back and the error it raised.
import { deflateRawSync, constants as zc } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocketError } from '@sonic/core'
import { wsConnect, type WsMessage } from '../src/index.js'
import { accept, closeFrame, frame, sleep, startRawWs, until, useCleanups, type RawConn, type Started } from './helpers.js'
import type * as net from 'node:net'

const TEXT = 0x1
const BINARY = 0x2
const CONT = 0x0
const CLOSE = 0x8
const PING = 0x9
const PONG = 0xa

interface Case {
  name: string
  /** What the server writes after the 101, each element one write. */
  writes: Buffer[]
  /** Messages receive() must give first (close included when the server closes cleanly). */
  messages?: WsMessage[]
  /** The close code the client must send back (none expected when undefined). */
  sentClose?: number | null
  /** The client must fail with WebSocketError of this closeCode. */
  error?: number
  deflate?: boolean
  maxMsgSize?: number
  /** Payloads of the pongs the client must send. */
  pongs?: string[]
}

const text = (data: string): WsMessage => ({ type: 'text', data, extra: null })
const close = (code: number, reason = ''): WsMessage => ({ type: 'close', data: code, extra: reason })
const bad = Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64])

function deflated(s: string | Buffer): Buffer {
  const out = deflateRawSync(s, { finishFlush: zc.Z_SYNC_FLUSH })
  return out.subarray(0, out.length - 4)
}

function closeRaw(payload: Buffer): Buffer {
  return frame(CLOSE, payload)
}

const euro = Buffer.from('€') // e2 82 ac

const cases: Case[] = [
  // 1.x: framing of text and binary at the length boundaries.
  ...[0, 125, 126, 127, 65535, 65536].map((n) => ({
    name: `text of ${n} bytes`,
    writes: [frame(TEXT, 'a'.repeat(n)), closeFrame(1000)],
    messages: [text('a'.repeat(n)), close(1000)],
    sentClose: 1000,
  })),
  {
    name: 'a frame written one byte at a time',
    writes: [...frame(TEXT, 'split everywhere ✓')].map((b) => Buffer.from([b])),
    messages: [text('split everywhere ✓')],
  },
  // 2.x: pings.
  {
    name: 'ping with 125 bytes is answered with the same payload',
    writes: [frame(PING, 'p'.repeat(125)), frame(TEXT, 'after')],
    messages: [text('after')],
    pongs: ['p'.repeat(125)],
  },
  { name: 'ping with 126 bytes → 1002', writes: [frame(PING, 'p'.repeat(126))], error: 1002, sentClose: 1002 },
  { name: 'a fragmented ping → 1002', writes: [frame(PING, 'x', { fin: false })], error: 1002, sentClose: 1002 },
  { name: 'an unsolicited pong is ignored', writes: [frame(PONG, 'u'), frame(TEXT, 'ok')], messages: [text('ok')] },
  // 3.x: reserved bits.
  { name: 'RSV1 without an extension → 1002', writes: [frame(TEXT, 'x', { rsv: 4 })], error: 1002, sentClose: 1002 },
  { name: 'RSV2 → 1002', writes: [frame(TEXT, 'x', { rsv: 2 })], error: 1002, sentClose: 1002 },
  { name: 'RSV3 on a ping → 1002', writes: [frame(PING, 'x', { rsv: 1 })], error: 1002, sentClose: 1002 },
  { name: 'reserved bits after a good message → message, then 1002', writes: [frame(TEXT, 'good'), frame(TEXT, 'x', { rsv: 7 })], messages: [text('good')], error: 1002, sentClose: 1002 },
  // 4.x: opcodes.
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => ({
    name: `reserved opcode ${op} → 1002`,
    writes: [frame(op, op >= 8 ? '' : 'x')],
    error: 1002,
    sentClose: 1002,
  })),
  // 5.x: fragmentation.
  {
    name: 'text in 3 fragments with a ping between',
    writes: [frame(TEXT, 'frag', { fin: false }), frame(PING, 'mid'), frame(CONT, 'men', { fin: false }), frame(CONT, 'ted', { fin: true })],
    messages: [text('fragmented')],
    pongs: ['mid'],
  },
  {
    name: 'binary in fragments, including empty ones',
    writes: [frame(BINARY, Buffer.from([1]), { fin: false }), frame(CONT, Buffer.alloc(0), { fin: false }), frame(CONT, Buffer.from([2, 3]))],
    messages: [{ type: 'binary', data: new Uint8Array([1, 2, 3]), extra: null }],
  },
  { name: 'a continuation with nothing to continue → 1002', writes: [frame(CONT, 'x')], error: 1002, sentClose: 1002 },
  { name: 'a new text message inside a fragmented one → 1002', writes: [frame(TEXT, 'a', { fin: false }), frame(TEXT, 'b')], error: 1002, sentClose: 1002 },
  { name: 'a masked server frame → 1002', writes: [frame(TEXT, 'masked', { mask: true })], error: 1002, sentClose: 1002 },
  { name: 'a 64-bit length with the top bit set → 1002', writes: [frame(BINARY, Buffer.alloc(0), { len64: 1n << 63n })], error: 1002, sentClose: 1002 },
  // 6.x: UTF-8.
  { name: 'invalid UTF-8 in one frame → 1007', writes: [frame(TEXT, bad)], error: 1007, sentClose: 1007 },
  {
    name: 'a code point split across fragments is valid',
    writes: [frame(TEXT, euro.subarray(0, 1), { fin: false }), frame(CONT, euro.subarray(1, 2), { fin: false }), frame(CONT, euro.subarray(2))],
    messages: [text('€')],
  },
  {
    name: 'invalid UTF-8 in a middle fragment fails at once, before the last fragment',
    writes: [frame(TEXT, 'ok', { fin: false }), frame(CONT, Buffer.from([0xed, 0xa0, 0x80]), { fin: false })],
    error: 1007,
    sentClose: 1007,
  },
  { name: 'a truncated code point at the end of the message → 1007', writes: [frame(TEXT, 'x', { fin: false }), frame(CONT, euro.subarray(0, 2))], error: 1007, sentClose: 1007 },
  { name: 'overlong encoding → 1007', writes: [frame(TEXT, Buffer.from([0xc0, 0xaf]))], error: 1007, sentClose: 1007 },
  // 7.x: close.
  { name: 'an empty close → close message 1005, answered with an empty close', writes: [closeRaw(Buffer.alloc(0))], messages: [close(1005)], sentClose: null },
  { name: 'a close payload of 1 byte → 1002', writes: [closeRaw(Buffer.from([0x03]))], error: 1002, sentClose: 1002 },
  { name: 'a close reason that is not UTF-8 → 1007', writes: [closeRaw(Buffer.concat([Buffer.from([0x03, 0xe8]), bad]))], error: 1007, sentClose: 1007 },
  { name: 'a close reason of 123 bytes', writes: [closeFrame(1000, 'r'.repeat(123))], messages: [close(1000, 'r'.repeat(123))], sentClose: 1000 },
  { name: 'frames after the close are ignored', writes: [closeFrame(1001, 'away'), frame(TEXT, 'late')], messages: [close(1001, 'away'), close(1001, 'away')], sentClose: 1001 },
  ...[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].map((code) => ({
    name: `close code ${code} is valid`,
    writes: [closeFrame(code)],
    messages: [close(code)],
    sentClose: code,
  })),
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code) => ({
    name: `close code ${code} is invalid → 1002`,
    writes: [closeFrame(code)],
    error: 1002,
    sentClose: 1002,
  })),
  // 9.x: limits.
  { name: 'a frame over maxMsgSize → 1009', writes: [frame(BINARY, Buffer.alloc(1001))], maxMsgSize: 1000, error: 1009, sentClose: 1009 },
  { name: 'a message exactly at maxMsgSize', writes: [frame(BINARY, Buffer.alloc(1000))], maxMsgSize: 1000, messages: [{ type: 'binary', data: new Uint8Array(1000), extra: null }] },
  {
    name: 'fragments adding up to more than maxMsgSize → 1009',
    writes: [frame(BINARY, Buffer.alloc(600), { fin: false }), frame(CONT, Buffer.alloc(600))],
    maxMsgSize: 1000,
    error: 1009,
    sentClose: 1009,
  },
  // 12.x / 13.x: permessage-deflate.
  { name: 'a compressed text message', deflate: true, writes: [frame(TEXT, deflated('hello hello hello'), { rsv: 4 })], messages: [text('hello hello hello')] },
  {
    name: 'a compressed message in fragments (RSV1 on the first only)',
    deflate: true,
    writes: (() => {
      const d = deflated('compressed fragments ✓')
      return [frame(TEXT, d.subarray(0, 5), { rsv: 4, fin: false }), frame(PING, 'in-between'), frame(CONT, d.subarray(5))]
    })(),
    messages: [text('compressed fragments ✓')],
    pongs: ['in-between'],
  },
  { name: 'an uncompressed message on a deflate connection', deflate: true, writes: [frame(TEXT, 'plain')], messages: [text('plain')] },
  { name: 'RSV1 on a continuation → 1002', deflate: true, writes: [frame(TEXT, 'a', { fin: false }), frame(CONT, 'b', { rsv: 4 })], error: 1002, sentClose: 1002 },
  { name: 'RSV1 on a ping → 1002', deflate: true, writes: [frame(PING, '', { rsv: 4 })], error: 1002, sentClose: 1002 },
  { name: 'compressed data that does not inflate → 1007', deflate: true, writes: [frame(BINARY, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv: 4 })], error: 1007, sentClose: 1007 },
  { name: 'compressed invalid UTF-8 → 1007', deflate: true, writes: [frame(TEXT, deflated(bad), { rsv: 4 })], error: 1007, sentClose: 1007 },
  {
    name: 'a small compressed message that inflates over maxMsgSize → 1009',
    deflate: true,
    maxMsgSize: 10000,
    writes: [frame(BINARY, deflated(Buffer.alloc(100000)), { rsv: 4 })],
    error: 1009,
    sentClose: 1009,
  },
]

describe('frame conformance (RFC 6455 §5, Autobahn case intents)', () => {
  let server: Started<net.Server>
  const conns = new Map<string, RawConn>()
  const byPath = new Map<string, Case>()
  beforeAll(async () => {
    cases.forEach((c, i) => byPath.set(`/case/${i}`, c))
    server = await startRawWs(async (conn) => {
      const path = conn.request.split(' ')[1]!
      const c = byPath.get(path)!
      conns.set(path, conn)
      accept(conn, c.deflate === true ? ['Sec-WebSocket-Extensions: permessage-deflate'] : [])
      for (const w of c.writes) {
        conn.socket.write(w)
        if (c.writes.length > 4) await sleep(1)
      }
    })
  })
  afterAll(() => server.close())
  const cleanups = useCleanups()

  cases.forEach((c, i) => {
    test(c.name, async () => {
      const path = `/case/${i}`
      const ws = await wsConnect(`ws://127.0.0.1:${server.port}${path}`, { compress: c.deflate === true, maxMsgSize: c.maxMsgSize })
      // The raw server never answers a close: drop its side first, then close() ends at once.
      cleanups.push(() => ws.close().catch(() => {}))
      cleanups.push(() => conns.get(path)?.socket.destroy())
      for (const want of c.messages ?? []) {
        const got = await ws.receive({ timeout: 5000 })
        if (got.type === 'binary') expect({ ...got, data: new Uint8Array(got.data) }).toEqual(want)
        else expect(got).toEqual(want)
      }
      const conn = conns.get(path)!
      if (c.error !== undefined) {
        const err = await ws.receive({ timeout: 5000 }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(WebSocketError)
        expect((err as WebSocketError).closeCode).toBe(c.error)
        expect(ws.closeCode).toBe(c.error)
      }
      if (c.sentClose !== undefined) {
        await until(() => conn.frames.some((f) => f.opcode === CLOSE), 5000)
        const f = conn.frames.find((x) => x.opcode === CLOSE)!
        if (c.sentClose === null) expect(f.payload.length).toBe(0)
        else expect(f.payload.readUInt16BE(0)).toBe(c.sentClose)
      }
      if (c.pongs !== undefined) {
        await until(() => conn.frames.filter((f) => f.opcode === PONG).length >= c.pongs!.length, 5000)
        expect(conn.frames.filter((f) => f.opcode === PONG).map((f) => f.payload.toString())).toEqual(c.pongs)
      }
      // Every client frame is masked.
      expect(conn.frames.every((f) => f.masked)).toBe(true)
    })
  })
})
