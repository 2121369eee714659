// Requests and responses against real node http servers and raw TCP servers on 127.0.0.1.
import type * as http from 'node:http'
import { ConnectionClosedError, InvalidArgumentError, type Progress } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { type Http1Connection } from '../src/index.js'
import { makeRequest, reader, startHttp, startRaw, streamOf, text, until, type Started, openConn, useCleanups, type ConnectOptions } from './helpers.js'

const cleanups = useCleanups()

const open = (port: number, extra: Partial<ConnectOptions> = {}): Promise<Http1Connection> => openConn(cleanups, port, extra)

/** An http server that answers every request with what it received. */
async function echoServer(): Promise<Started<http.Server>> {
  const srv = await startHttp((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      res.setHeader('x-method', req.method!)
      res.setHeader('x-url', req.url!)
      res.setHeader('x-headers', JSON.stringify(req.headers))
      res.end(Buffer.concat(chunks))
    })
  })
  cleanups.push(() => srv.close())
  return srv
}

describe('request bodies', () => {
  test('GET without a body: Host added, no Content-Length', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ path: '/a?b=1', authority: `127.0.0.1:${srv.port}` }))
    expect(res.status).toBe(200)
    expect(res.httpVersion).toBe('1.1')
    expect(res.headers.get('x-url')).toBe('/a?b=1')
    const seen = JSON.parse(res.headers.get('x-headers')!)
    expect(seen.host).toBe(`127.0.0.1:${srv.port}`)
    expect(seen['content-length']).toBeUndefined()
    expect(seen['transfer-encoding']).toBeUndefined()
    expect(await text(res.body)).toBe('')
  })

  test('Uint8Array body is sent with Content-Length', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', body: Buffer.from('hello body') }))
    const seen = JSON.parse(res.headers.get('x-headers')!)
    expect(seen['content-length']).toBe('10')
    expect(await text(res.body)).toBe('hello body')
  })

  test('POST/PUT/PATCH without a body send content-length: 0; user Host is kept', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await conn.request(makeRequest({ method, headers: ['Host', 'example.test'] }))
      const seen = JSON.parse(res.headers.get('x-headers')!)
      expect(seen['content-length']).toBe(method === 'DELETE' ? undefined : '0')
      expect(seen.host).toBe('example.test')
      await reader(res.body).readAll()
    }
  })

  test('stream body of unknown length is sent chunked; strings are UTF-8', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', body: streamOf(['héllo ', Buffer.from('wörld'), '', '!'], null) }))
    const seen = JSON.parse(res.headers.get('x-headers')!)
    expect(seen['transfer-encoding']).toBe('chunked')
    expect(await text(res.body)).toBe('héllo wörld!')
  })

  test('stream body of known length is sent with Content-Length', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const parts = ['abc', 'defg', 'h']
    const res = await conn.request(makeRequest({ method: 'PUT', body: streamOf(parts, 8) }))
    const seen = JSON.parse(res.headers.get('x-headers')!)
    expect(seen['content-length']).toBe('8')
    expect(seen['transfer-encoding']).toBeUndefined()
    expect(await text(res.body)).toBe('abcdefgh')
  })

  test('a large (1 MiB) Uint8Array and a large stream arrive intact', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const big = Buffer.alloc(1 << 20)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff
    const res = await conn.request(makeRequest({ method: 'POST', body: big }))
    expect(Buffer.from(await reader(res.body).readAll()).equals(big)).toBe(true)
    const pieces = Array.from({ length: 16 }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536))
    const res2 = await conn.request(makeRequest({ method: 'POST', body: streamOf(pieces, null) }))
    expect(Buffer.from(await reader(res2.body).readAll()).equals(big)).toBe(true)
    expect(conn.requestCount).toBe(2)
  })

  test('head and a small body go out in one write', async () => {
    const received: Buffer[] = []
    const srv = await startRaw((socket) => {
      socket.on('data', (d: Buffer) => {
        received.push(d)
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    // Count what reaches the socket handle: one _write or one _writev (head and body corked
    // together) per request. Each call still goes to the real socket.
    let writes = 0
    type Raw = { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void }
    const sock = conn.socket as unknown as Raw
    const rawWrite = sock._write
    const rawWritev = sock._writev
    sock._write = function (this: unknown, ...args: unknown[]) {
      writes++
      return rawWrite.apply(this, args)
    }
    sock._writev = function (this: unknown, ...args: unknown[]) {
      writes++
      return rawWritev.apply(this, args)
    }
    const body = Buffer.alloc(10_000, 'x')
    const res = await conn.request(makeRequest({ method: 'POST', path: '/up', headers: ['X-A', '1'], body }))
    expect(await text(res.body)).toBe('ok')
    expect(writes).toBe(1)
    expect(received.length).toBe(1)
    const raw = received[0]!.toString('latin1')
    expect(raw.startsWith('POST /up HTTP/1.1\r\nhost: 127.0.0.1\r\nX-A: 1\r\ncontent-length: 10000\r\n\r\n')).toBe(true)
    expect(raw.endsWith('x'.repeat(10_000))).toBe(true)
  })

  test('a stream body yielding more or fewer bytes than declared fails and destroys the connection', async () => {
    const srv = await echoServer()
    const longer = await open(srv.port)
    await expect(longer.request(makeRequest({ method: 'POST', body: streamOf(['abcdef'], 3) }))).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(longer.closed).toBe(true)
    const shorter = await open(srv.port)
    await expect(shorter.request(makeRequest({ method: 'POST', body: streamOf(['ab'], 3) }))).rejects.toThrow(/shorter/)
    expect(shorter.closed).toBe(true)
  })

  test('a body stream that fails (at once or midway) rejects the request with its error', async () => {
    const srv = await echoServer()
    const boom = new Error('disk gone')
    const sync = await open(srv.port)
    const throwsAtOnce = { length: null, replayable: false, stream: (): AsyncIterable<Uint8Array> => { throw boom } }
    await expect(sync.request(makeRequest({ method: 'POST', body: throwsAtOnce }))).rejects.toBe(boom)
    expect(sync.closed).toBe(true)
    const midway = await open(srv.port)
    const failing = {
      length: null,
      replayable: false,
      async *stream() {
        yield 'first part'
        throw boom
      },
    }
    await expect(midway.request(makeRequest({ method: 'POST', body: failing }))).rejects.toBe(boom)
    expect(midway.closed).toBe(true)
  })

  test('invalid method, path, header name or value → InvalidArgumentError before any byte is written', async () => {
    let bytes = 0
    const srv = await startRaw((socket) => socket.on('data', (d: Buffer) => (bytes += d.length)))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const bad = [
      makeRequest({ method: 'GE T' }),
      makeRequest({ method: 'GET\r\n' }),
      makeRequest({ path: '/a b' }),
      makeRequest({ path: '/a\r\nX-Evil: 1' }),
      makeRequest({ headers: ['X-Bad\r\nName', 'v'] }),
      makeRequest({ headers: ['X-Ok', 'v\r\nX-Injected: 1'] }),
      makeRequest({ headers: ['X-Ok', 'nul\0'] }),
      makeRequest({ authority: 'host\r\nX: 1' }),
      makeRequest({ method: 'POST', headers: ['content-length', '5'], body: Buffer.from('abc') }),
      makeRequest({ method: 'POST', headers: ['content-length', 'abc'], body: null }),
      makeRequest({ method: 'POST', headers: ['content-length', '3', 'transfer-encoding', 'chunked'], body: Buffer.from('abc') }),
    ]
    for (const r of bad) await expect(conn.request(r)).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(conn.closed).toBe(false)
    expect(conn.busy).toBe(false)
    expect(conn.requestCount).toBe(0)
    await new Promise((r) => setImmediate(r))
    expect(bytes).toBe(0)
  })

  test('a user Content-Length that matches the body is kept as the only one', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', headers: ['Content-Length', '3'], body: streamOf(['a', 'bc'], null) }))
    const seen = JSON.parse(res.headers.get('x-headers')!)
    expect(seen['content-length']).toBe('3')
    expect(seen['transfer-encoding']).toBeUndefined()
    expect(await text(res.body)).toBe('abc')
  })

  test('a user Transfer-Encoding: chunked frames a bytes body', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', headers: ['Transfer-Encoding', 'chunked'], body: Buffer.from('framed') }))
    const seen = JSON.parse(res.headers.get('x-headers')!)
    expect(seen['transfer-encoding']).toBe('chunked')
    expect(seen['content-length']).toBeUndefined()
    expect(await text(res.body)).toBe('framed')
    expect(conn.closed).toBe(false)
  })

  test('a second concurrent request → InvalidArgumentError', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const first = conn.request(makeRequest())
    expect(conn.busy).toBe(true)
    await expect(conn.request(makeRequest())).rejects.toBeInstanceOf(InvalidArgumentError)
    const res = await first
    await reader(res.body).readAll()
    expect(conn.busy).toBe(false)
  })

  test('onUploadProgress reports bytes written, with the total when known', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    const seen: Progress[] = []
    const big = Buffer.alloc(300_000, 1)
    const res = await conn.request(makeRequest({ method: 'POST', body: big, onUploadProgress: (p) => seen.push({ ...p }) }))
    await reader(res.body).readAll()
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.at(-1)).toEqual({ loaded: 300_000, total: 300_000 })
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.loaded).toBeGreaterThan(seen[i - 1]!.loaded)

    const chunked: Progress[] = []
    const res2 = await conn.request(makeRequest({ method: 'POST', body: streamOf(['ab', 'cde'], null), onUploadProgress: (p) => chunked.push({ ...p }) }))
    await reader(res2.body).readAll()
    expect(chunked).toEqual([{ loaded: 2 }, { loaded: 5 }])

    const small: Progress[] = []
    const res3 = await conn.request(makeRequest({ method: 'POST', body: Buffer.from('xyz'), onUploadProgress: (p) => small.push({ ...p }) }))
    await reader(res3.body).readAll()
    expect(small).toEqual([{ loaded: 3, total: 3 }])
  })

  test('sockRead does not run while the body is uploading, only once it is sent', async () => {
    const srv = await echoServer()
    const conn = await open(srv.port)
    // 4 × 60 ms of upload (240 ms) with sockRead 100: the server owes nothing until the body is out.
    const res = await conn.request(makeRequest({ method: 'POST', body: streamOf(['a', 'b', 'c', 'd'], null, 60), sockRead: 100 }))
    expect(await text(res.body)).toBe('abcd')
  })

  test('a server answering before the body is sent (413) gets its response delivered', async () => {
    const srv = await startHttp((_req, res) => {
      res.writeHead(413, { connection: 'close' })
      res.end('too big')
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const chunk = Buffer.alloc(64 * 1024, 2)
    const body = {
      length: null,
      replayable: false,
      async *stream() {
        for (let i = 0; i < 256; i++) yield chunk // 16 MiB, far more than the server waits for
      },
    }
    const res = await conn.request(makeRequest({ method: 'POST', body }))
    expect(res.status).toBe(413)
    expect(await text(res.body)).toBe('too big')
    await until(() => conn.closed)
  })
})

describe('responses', () => {
  test('HEAD, 204 and 304 have no body and keep the connection', async () => {
    const srv = await startHttp((req, res) => {
      if (req.url === '/204') res.writeHead(204).end()
      else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end()
      else res.writeHead(200, { 'content-length': '11' }).end(req.method === 'HEAD' ? undefined : 'hello world')
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const head = await conn.request(makeRequest({ method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('11')
    expect(head.body.length).toBe(0)
    expect(await reader(head.body).read()).toBeNull()
    for (const path of ['/204', '/304']) {
      const res = await conn.request(makeRequest({ path }))
      expect(res.status).toBe(Number(path.slice(1)))
      expect(await reader(res.body).read()).toBeNull()
    }
    const get = await conn.request(makeRequest())
    expect(await text(get.body)).toBe('hello world')
    expect(conn.requestCount).toBe(4)
    expect(srv.sockets.length).toBe(1)
  })

  test('1xx responses are skipped; the final one is delivered', async () => {
    const srv = await startRaw((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n')
        setTimeout(() => socket.write('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 4\r\nx-final: yes\r\n\r\ndone'), 10)
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(res.status).toBe(201)
    expect(res.statusText).toBe('Created')
    expect(res.headers.get('x-final')).toBe('yes')
    expect(res.headers.has('link')).toBe(false)
    expect(await text(res.body)).toBe('done')
    expect(conn.closed).toBe(false)
  })

  test('101 Switching Protocols: head delivered with an empty body, then the connection closes', async () => {
    const srv = await startRaw((socket) =>
      socket.once('data', () => socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n\x81\x00')),
    )
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ headers: ['Upgrade', 'websocket', 'Connection', 'upgrade'] }))
    expect(res.status).toBe(101)
    expect(res.body.length).toBe(0)
    expect(await reader(res.body).read()).toBeNull()
    expect(conn.closed).toBe(true)
  })

  test('1000 sequential requests reuse one socket', async () => {
    const srv = await startHttp((req, res) => res.end(req.url))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    for (let i = 0; i < 1000; i++) {
      const res = await conn.request(makeRequest({ path: `/${i}` }))
      const body = await reader(res.body).readAll()
      if (Buffer.from(body).toString() !== `/${i}`) throw new Error(`wrong body at ${i}`)
    }
    expect(conn.requestCount).toBe(1000)
    expect(conn.closed).toBe(false)
    expect(srv.sockets.length).toBe(1)
  })

  test('Connection: close from the server closes after the body; from the request too', async () => {
    const srv = await startHttp((req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close')
      res.end('bye')
    })
    cleanups.push(() => srv.close())
    const a = await open(srv.port)
    const res = await a.request(makeRequest({ path: '/close' }))
    expect(await text(res.body)).toBe('bye')
    expect(a.closed).toBe(true)
    await expect(a.request(makeRequest())).rejects.toMatchObject({ code: 'SONIC_CONNECTION_CLOSED', beforeResponse: true })

    const b = await open(srv.port)
    const res2 = await b.request(makeRequest({ headers: ['Connection', 'close'] }))
    expect(await text(res2.body)).toBe('bye')
    expect(b.closed).toBe(true)
  })

  test('Keep-Alive: timeout=N sets keepAliveTimeout to N s', async () => {
    const srv = await startHttp((_req, res) => res.end('k'), { keepAliveTimeout: 7000 })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    expect(conn.keepAliveTimeout).toBeNull()
    const res = await conn.request(makeRequest())
    expect(res.headers.get('keep-alive')).toBe('timeout=7')
    expect(conn.keepAliveTimeout).toBe(7000)
    await reader(res.body).readAll()
  })

  test('HTTP/1.0 response without length is read until close', async () => {
    const srv = await startRaw((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ')
        setTimeout(() => socket.end('part two'), 20)
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(res.httpVersion).toBe('1.0')
    expect(res.body.length).toBeNull()
    expect(await text(res.body)).toBe('part one, part two')
    expect(conn.closed).toBe(true)
  })

  test('chunked response: chunked flag set, pieces arrive as they are sent', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const srv = await startHttp(async (_req, res) => {
      res.write('first')
      await gate
      res.end('second')
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(res.chunked).toBe(true)
    expect(res.body.length).toBeNull()
    const body = reader(res.body)
    expect(Buffer.from((await body.read())!).toString()).toBe('first')
    release()
    expect(Buffer.from((await body.read())!).toString()).toBe('second')
    expect(await body.read()).toBeNull()
    expect(conn.closed).toBe(false)
  })

  test('an idle connection closed by the server is seen as closed', async () => {
    const srv = await startHttp((_req, res) => res.end('x'))
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    let notified = 0
    conn.onClose = () => notified++
    const res = await conn.request(makeRequest())
    await reader(res.body).readAll()
    expect(conn.closed).toBe(false)
    srv.sockets[0]!.end()
    await until(() => conn.closed)
    await until(() => notified === 1)
  })

  test('bytes arriving on an idle connection make it unusable', async () => {
    const srv = await startRaw((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nA')
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\n'), 20)
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(await text(res.body)).toBe('A')
    await until(() => conn.closed)
  })

  test('bytes after a complete response make the connection unusable', async () => {
    const srv = await startRaw((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nAgarbage'))
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest())
    expect(await text(res.body)).toBe('A')
    expect(conn.closed).toBe(true)
  })

  test('a socket destroyed behind the connection\'s back → ConnectionClosedError beforeResponse: true', async () => {
    const srv = await startHttp((_req, res) => res.end())
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    conn.socket.destroy()
    await expect(conn.request(makeRequest())).rejects.toMatchObject({ code: 'SONIC_CONNECTION_CLOSED', beforeResponse: true })
    expect(conn.closed).toBe(true)
  })

  test('setIdle toggles ref on the socket; destroy() is idempotent and notifies once', async () => {
    const srv = await startHttp((_req, res) => res.end())
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    let notified = 0
    conn.onClose = () => notified++
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
    const refd = sockets()
    conn.setIdle(true)
    expect(sockets()).toBe(refd - 1)
    conn.setIdle(false)
    expect(sockets()).toBe(refd)
    conn.destroy()
    conn.destroy()
    expect(conn.closed).toBe(true)
    await until(() => notified === 1)
    await expect(conn.request(makeRequest())).rejects.toBeInstanceOf(ConnectionClosedError)
  })
})
