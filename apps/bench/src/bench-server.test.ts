import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBenchServer, type BenchServer } from './bench-server.js'
import { CHUNK_SIZE, SIZE_1M, SIZE_64K, SMALL_BODY } from './server-responses.js'
import { startServerProcess } from './server-process.js'

let server: BenchServer
let port: number
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

beforeAll(async () => {
  server = createBenchServer()
  port = (await server.listen(0, '127.0.0.1')).port
})
afterAll(async () => {
  agent.destroy()
  await server.close()
})

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

function request(method: string, path: string, body?: Buffer | Buffer[], headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (Array.isArray(body)) {
      for (const part of body) req.write(part)
      req.end()
    } else req.end(body)
  })
}

/** Writes `data` on one raw connection and collects what comes back until `done(buf)` or close. */
function raw(data: Buffer | string, done: (buf: Buffer) => boolean): Promise<{ buf: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let buf = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`timed out; got: ${buf.toString('latin1').slice(0, 200)}`))
    }, 5000)
    const finish = (closed: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ buf, closed })
    }
    socket.on('error', reject)
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      if (done(buf)) finish(false)
    })
    socket.on('close', () => finish(true))
    socket.write(data)
  })
}

const count = (buf: Buffer, needle: string) => buf.toString('latin1').split(needle).length - 1

describe('bench server routes', () => {
  it('/small answers 13 bytes with content-length, kept alive', async () => {
    const res = await request('GET', '/small')
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe(SMALL_BODY)
    expect(res.body.length).toBe(13)
    expect(res.headers['content-length']).toBe('13')
    expect(res.headers.connection).toBe('keep-alive')
  })

  it('/64k and /1m answer their exact sizes with content-length', async () => {
    const k = await request('GET', '/64k')
    expect(k.body.length).toBe(SIZE_64K)
    expect(k.headers['content-length']).toBe(String(SIZE_64K))
    const m = await request('GET', '/1m?cache=no')
    expect(m.body.length).toBe(SIZE_1M)
    expect(m.body.subarray(0, 3).toString()).toBe('abc')
    expect(m.body.subarray(0, SIZE_64K).equals(k.body)).toBe(true)
  })

  it('/chunked-1m is chunked 1 MiB in 16 KiB chunks', async () => {
    const res = await request('GET', '/chunked-1m')
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.body.length).toBe(SIZE_1M)
    // The framing itself, read off the wire.
    const { buf } = await raw('GET /chunked-1m HTTP/1.1\r\nHost: x\r\n\r\n', (b) => b.subarray(-7).toString() === '\r\n0\r\n\r\n')
    const text = buf.toString('latin1')
    const body = text.slice(text.indexOf('\r\n\r\n') + 4)
    expect(body.startsWith(`${CHUNK_SIZE.toString(16)}\r\n`)).toBe(true)
    // Every chunk-size line follows a CRLF: the head's blank line for the first, the previous chunk's end after.
    expect(count(buf, `\r\n${CHUNK_SIZE.toString(16)}\r\n`)).toBe(SIZE_1M / CHUNK_SIZE)
    expect(body.endsWith('\r\n0\r\n\r\n')).toBe(true)
  })

  it('/echo counts a content-length body', async () => {
    const res = await request('POST', '/echo', Buffer.alloc(SIZE_64K, 7))
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe(String(SIZE_64K))
  })

  it('/echo counts a chunked body (node:http sends chunked without content-length)', async () => {
    const parts = [Buffer.alloc(1000, 1), Buffer.alloc(5, 2), Buffer.alloc(40_000, 3)]
    const res = await request('POST', '/echo', parts)
    expect(res.body.toString()).toBe('41005')
  })

  it('/echo handles chunk extensions, trailers and a body split across writes', async () => {
    const req = 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' + '3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n'
    const { buf } = await new Promise<{ buf: Buffer }>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, async () => {
        // One byte at a time: every state of the scanner sees partial input.
        for (const ch of req) {
          socket.write(ch)
          await new Promise((r) => setImmediate(r))
        }
      })
      let got = Buffer.alloc(0)
      socket.on('data', (c: Buffer) => {
        got = Buffer.concat([got, c])
        if (got.toString().endsWith('\r\n\r\n13')) {
          socket.destroy()
          resolve({ buf: got })
        }
      })
      socket.on('error', reject)
    })
    expect(buf.toString()).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*Content-Length: 2\r\n[\s\S]*\r\n\r\n13$/)
  })

  it('/json echoes the posted JSON as application/json', async () => {
    const doc = { id: 42, items: [1, 2, 3], name: 'sonic' }
    const res = await request('POST', '/json', Buffer.from(JSON.stringify(doc)), { 'content-type': 'application/json' })
    expect(res.headers['content-type']).toBe('application/json')
    expect(JSON.parse(res.body.toString())).toEqual(doc)
  })

  it('an unknown route is a 404 that keeps the connection', async () => {
    const res = await request('GET', '/nope')
    expect(res.status).toBe(404)
    expect((await request('GET', '/small')).status).toBe(200)
  })
})

describe('bench server connection handling', () => {
  it('answers two pipelined requests sent in one write, in order', async () => {
    const two = 'GET /small HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
    const { buf } = await raw(two, (b) => count(b, 'HTTP/1.1 200 OK') === 2 && b.toString().endsWith('\r\n\r\n5'))
    const text = buf.toString()
    expect(text.indexOf(SMALL_BODY)).toBeGreaterThan(0)
    expect(text.indexOf(SMALL_BODY)).toBeLessThan(text.lastIndexOf('HTTP/1.1 200 OK'))
    expect(text.endsWith('Content-Length: 1\r\nConnection: keep-alive\r\nKeep-Alive: timeout=120\r\n\r\n5')).toBe(true)
  })

  it('handles many pipelined requests split at arbitrary points', async () => {
    const one = 'POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}'
    const { buf } = await raw(one.repeat(20), (b) => count(b, '{"a":1}') === 20)
    expect(count(buf, 'HTTP/1.1 200 OK')).toBe(20)
  })

  it('closes after the answer when asked (Connection: close, HTTP/1.0)', async () => {
    const a = await raw('GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', () => false)
    expect(a.closed).toBe(true)
    expect(a.buf.toString().endsWith(SMALL_BODY)).toBe(true)
    const b = await raw('GET /small HTTP/1.0\r\n\r\n', () => false)
    expect(b.closed).toBe(true)
    expect(b.buf.toString().endsWith(SMALL_BODY)).toBe(true)
  })

  it('answers 100 Continue when the client expects it', async () => {
    const { buf } = await raw('POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok', (b) => b.toString().endsWith('\r\n\r\n2'))
    expect(buf.toString().startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')).toBe(true)
  })

  it('refuses a malformed request line or bad framing with 400 and closes', async () => {
    for (const bad of [
      'NONSENSE\r\n\r\n',
      'GET /small SPDY/3\r\n\r\n',
      'POST /echo HTTP/1.1\r\nContent-Length: ten\r\n\r\n',
      'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      const { buf, closed } = await raw(bad, () => false)
      expect(buf.toString(), bad).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/)
      expect(closed).toBe(true)
    }
  })

  it('refuses a head over 64 KiB with 431', async () => {
    const { buf, closed } = await raw(`GET /small HTTP/1.1\r\nX-Big: ${'a'.repeat(70 * 1024)}`, () => false)
    expect(buf.toString()).toMatch(/^HTTP\/1.1 431 /)
    expect(closed).toBe(true)
  })
})

describe('server process', () => {
  it('forks dist/server.js, serves on a free loopback port, and stops', async () => {
    const proc = await startServerProcess()
    try {
      expect(proc.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(proc.pid).not.toBe(process.pid)
      const res = await fetch(`${proc.origin}/small`)
      expect(await res.text()).toBe(SMALL_BODY)
    } finally {
      await proc.stop()
    }
    await expect(fetch(`${proc.origin}/small`)).rejects.toThrow()
  })
})
