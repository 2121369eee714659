// The parser fed by real sockets: a node:http server answering pipelined requests, and raw TCP
// servers sending what node:http would not (read-until-close bodies, garbage, early close).
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { HttpParserError } from '@sonic/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResponseParser, SKIP_BODY } from '../src/index.js'

interface Seen {
  status: number
  headers: string[]
  body: Buffer[]
  done: boolean
  trailers: string[]
}

/** Connects, writes `request`, parses every read until the peer closes or `expected` responses completed. */
async function exchange(port: number, request: string, options: { expected?: number; headIndexes?: number[] } = {}) {
  const socket = net.connect(port, '127.0.0.1')
  const parser = new ResponseParser()
  const seen: Seen[] = []
  let error: unknown = null
  let eof: boolean | null = null
  parser.onHeaders = (p) => {
    seen.push({ status: p.statusCode, headers: p.headersFlat(), body: [], done: false, trailers: [] })
    return options.headIndexes?.includes(seen.length - 1) === true ? SKIP_BODY : 0
  }
  // Views into socket chunks: kept as they are (node gives every read its own buffer).
  parser.onBody = (view) => void seen.at(-1)!.body.push(Buffer.from(view.buffer, view.byteOffset, view.byteLength))
  parser.onComplete = (p) => {
    seen.at(-1)!.done = true
    seen.at(-1)!.trailers = p.trailersFlat()
    if (options.expected !== undefined && seen.filter((s) => s.done).length === options.expected) socket.end()
  }
  socket.on('data', (chunk: Buffer) => {
    try {
      parser.execute(chunk)
    } catch (e) {
      error = e
      socket.destroy()
    }
  })
  socket.write(request)
  await once(socket, 'close')
  if (error === null) {
    try {
      eof = parser.finish()
    } catch (e) {
      error = e
    }
  }
  parser.destroy()
  return { seen, error, eof }
}

describe('with a node:http server', () => {
  const big = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
  let server: http.Server
  let port = 0

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/cl') {
        res.setHeader('Content-Type', 'text/plain')
        res.end('hello world')
      } else if (req.url === '/chunked') {
        res.setHeader('Trailer', 'X-Digest')
        res.write('part one, ')
        res.write('part two, ')
        res.addTrailers({ 'X-Digest': 'abc' })
        res.end('the end')
      } else if (req.url === '/empty') {
        res.statusCode = 204
        res.end()
      } else if (req.url === '/big') {
        res.setHeader('Content-Length', big.length)
        res.end(big)
      } else {
        res.statusCode = 404
        res.end('nope')
      }
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })

  it('parses pipelined responses from real socket reads', async () => {
    const get = (path: string, method = 'GET') => `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`
    const request = get('/cl') + get('/chunked') + get('/cl', 'HEAD') + get('/empty') + get('/big') + get('/missing')
    const { seen, error, eof } = await exchange(port, request, { expected: 6, headIndexes: [2] })
    expect(error).toBeNull()
    expect(eof).toBe(true)
    expect(seen.map((s) => s.status)).toEqual([200, 200, 200, 204, 200, 404])
    expect(seen.every((s) => s.done)).toBe(true)
    expect(Buffer.concat(seen[0]!.body).toString()).toBe('hello world')
    expect(seen[0]!.headers).toContain('Content-Type')
    expect(Buffer.concat(seen[1]!.body).toString()).toBe('part one, part two, the end')
    expect(seen[1]!.headers).toEqual(expect.arrayContaining(['Transfer-Encoding', 'chunked']))
    expect(seen[1]!.trailers).toEqual(['X-Digest', 'abc'])
    expect(seen.filter((s) => s.trailers.length > 0)).toHaveLength(1)
    expect(seen[2]!.body).toEqual([])
    expect(seen[3]!.body).toEqual([])
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex')
    expect(digest(Buffer.concat(seen[4]!.body))).toBe(digest(big))
    expect(Buffer.concat(seen[5]!.body).toString()).toBe('nope')
  })
})

describe('with raw TCP servers', () => {
  const servers: net.Server[] = []

  /** A server that writes `pieces` (with a pause between them) then closes. */
  async function rawServer(pieces: string[]): Promise<number> {
    const server = net.createServer((socket) => {
      socket.once('data', async () => {
        for (const piece of pieces) {
          socket.write(Buffer.from(piece, 'latin1'))
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        socket.end()
      })
      socket.on('error', () => {})
    })
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return (server.address() as AddressInfo).port
  }

  afterAll(async () => {
    for (const server of servers) {
      server.close()
      await once(server, 'close')
    }
  })

  it('a read-until-close body ends cleanly at EOF', async () => {
    const port = await rawServer(['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ', 'second ', 'third'])
    const { seen, error, eof } = await exchange(port, 'GET / HTTP/1.1\r\n\r\n')
    expect(error).toBeNull()
    expect(eof).toBe(true)
    expect(Buffer.concat(seen[0]!.body).toString()).toBe('first second third')
    expect(seen[0]!.done).toBe(true)
  })

  it('100 Continue, then the final response', async () => {
    const port = await rawServer(['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'])
    const { seen, error } = await exchange(port, 'POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n')
    expect(error).toBeNull()
    expect(seen.map((s) => s.status)).toEqual([100, 200])
    expect(Buffer.concat(seen[1]!.body).toString()).toBe('ok')
  })

  it('garbage gives HttpParserError', async () => {
    const port = await rawServer(['SSH-2.0-OpenSSH_9.6\r\n'])
    const { error } = await exchange(port, 'GET / HTTP/1.1\r\n\r\n')
    expect(error).toBeInstanceOf(HttpParserError)
    expect((error as HttpParserError).llhttpCode).toBe('HPE_INVALID_CONSTANT')
  })

  it('a close in the middle of a body gives HPE_INVALID_EOF_STATE from finish()', async () => {
    const port = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'only a part'])
    const { seen, error } = await exchange(port, 'GET / HTTP/1.1\r\n\r\n')
    expect(seen[0]!.done).toBe(false)
    expect(error).toBeInstanceOf(HttpParserError)
    expect((error as HttpParserError).llhttpCode).toBe('HPE_INVALID_EOF_STATE')
  })
})
