// res.trailers against real servers: HTTP/1.1 chunked trailers (node:http addTrailers), HTTP/2
// trailers (node:http2, h2c, waitForTrailers/sendTrailers), and a gzip'd body with trailers (the
// decoding body forwards them). Empty HttpHeaders until the body has been read, and when none.
import http2 from 'node:http2'
import type net from 'node:net'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { HTTPClient, HttpHeaders } from '../src/index.js'
import { activeNetAndTimers, httpServer, sleep, useCleanups, type Running } from './helpers.js'

const using = useCleanups()

/** An h2c server (HTTP/2 without TLS) running `handler` for each stream. */
async function h2cServer(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<Running<http2.Http2Server>> {
  const server = http2.createServer()
  const sockets = new Set<net.Socket>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('session', (s) => s.on('error', () => {}))
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    handler(stream, headers)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('res.trailers over HTTP/1.1 (chunked)', () => {
  it('empty before the body is read, filled after text(); repeated fields kept in order', async () => {
    const srv = using(
      await httpServer((_req, res) => {
        res.setHeader('Trailer', 'X-Checksum, Server-Timing')
        res.write('hello ')
        res.write('world')
        res.addTrailers([
          ['X-Checksum', 'sha256=abc'],
          ['Server-Timing', 'db;dur=53'],
          ['Server-Timing', 'app;dur=47.2'],
        ])
        res.end()
      }),
    )
    const client = using(new HTTPClient())
    const res = await client.get(srv.url)
    expect(res.httpVersion).toBe('1.1')
    expect(res.chunked).toBe(true)
    await sleep(50)
    expect(res.trailers).toBeInstanceOf(HttpHeaders)
    expect(res.trailers.get('x-checksum')).toBeNull()
    expect([...res.trailers.entries()]).toEqual([])
    expect(await res.text()).toBe('hello world')
    expect(res.trailers.get('x-checksum')).toBe('sha256=abc')
    expect(res.trailers.getAll('server-timing')).toEqual(['db;dur=53', 'app;dur=47.2'])
    expect(res.headers.get('trailer')).toBe('X-Checksum, Server-Timing')
    expect(res.headers.get('x-checksum')).toBeNull()
  })

  it('streamed with readChunks(): filled once the last chunk is read; the connection is reused', async () => {
    const srv = using(
      await httpServer((req, res) => {
        res.write(`path ${req.url}`)
        if (req.url === '/with') res.addTrailers({ 'X-Count': '1' })
        res.end()
      }),
    )
    const client = using(new HTTPClient())
    const res = await client.get(`${srv.url}/with`)
    let text = ''
    for await (const chunk of res.readChunks()) text += Buffer.from(chunk).toString()
    expect(text).toBe('path /with')
    expect(res.trailers.get('x-count')).toBe('1')
    // A chunked response without trailers, and a HEAD answer (no body): empty after the read.
    const next = await client.get(`${srv.url}/without`)
    expect(await next.text()).toBe('path /without')
    expect(next.reused).toBe(true)
    expect([...next.trailers.entries()]).toEqual([])
    const sized = await client.head(`${srv.url}/sized`)
    await sized.bytes()
    expect([...sized.trailers.entries()]).toEqual([])
  })

  it('a gzip’d chunked body with trailers: decoded, and the trailers of the encoded body are there (text() and streaming)', async () => {
    const payload = 'trailers after a compressed body, '.repeat(200)
    const gz = gzipSync(payload)
    const srv = using(
      await httpServer((_req, res) => {
        res.setHeader('Content-Encoding', 'gzip')
        res.setHeader('Trailer', 'X-Raw-Length')
        // In two chunks, so the decoder sees more than one piece.
        res.write(gz.subarray(0, 100))
        res.write(gz.subarray(100))
        res.addTrailers({ 'X-Raw-Length': String(gz.length) })
        res.end()
      }),
    )
    const client = using(new HTTPClient())
    const res = await client.get(srv.url)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.trailers.get('x-raw-length')).toBeNull()
    expect(await res.text()).toBe(payload)
    expect(res.trailers.get('x-raw-length')).toBe(String(gz.length))

    const streamed = await client.get(srv.url)
    const chunks: Uint8Array[] = []
    for await (const chunk of streamed.readChunks()) chunks.push(chunk)
    expect(Buffer.concat(chunks).toString()).toBe(payload)
    expect(streamed.trailers.get('x-raw-length')).toBe(String(gz.length))
  })
})

describe('res.trailers over HTTP/2 (h2c)', () => {
  it('trailers sent with waitForTrailers/sendTrailers: empty before the read, filled after it', async () => {
    const srv = using(
      await h2cServer((stream, headers) => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => {
          if (headers[':path'] === '/with') stream.sendTrailers({ 'x-checksum': 'h2sum', 'grpc-status': '0' })
          else stream.close()
        })
        stream.end(`h2 ${headers[':path']}`)
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const res = await client.get(`${srv.url}/with`)
    expect(res.httpVersion).toBe('2')
    // Let the whole stream (trailers included) arrive: still empty, as the body is unread.
    await sleep(50)
    expect([...res.trailers.entries()]).toEqual([])
    expect(await res.text()).toBe('h2 /with')
    expect(res.trailers.get('x-checksum')).toBe('h2sum')
    expect(res.trailers.get('grpc-status')).toBe('0')

    const none = await client.get(`${srv.url}/none`)
    expect(await none.text()).toBe('h2 /none')
    expect([...none.trailers.entries()]).toEqual([])
  })

  it('a gzip’d HTTP/2 body with trailers', async () => {
    const payload = JSON.stringify({ list: Array.from({ length: 100 }, (_, i) => i) })
    const srv = using(
      await h2cServer((stream) => {
        stream.respond({ ':status': 200, 'content-encoding': 'gzip' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-done': 'yes' }))
        stream.end(gzipSync(payload))
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const res = await client.get(srv.url)
    expect(await res.json()).toEqual(JSON.parse(payload))
    expect(res.trailers.get('x-done')).toBe('yes')
  })
})

describe('clean-up', () => {
  it('responses with trailers leave no socket or timer behind once the client is closed', async () => {
    const before = activeNetAndTimers().length
    const h1 = await httpServer((_req, res) => {
      res.write('x')
      res.addTrailers({ 'X-T': '1' })
      res.end()
    })
    const h2 = await h2cServer((stream) => {
      stream.respond({ ':status': 200 }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-t': '2' }))
      stream.end('y')
    })
    const client = new HTTPClient()
    const a = await client.get(h1.url)
    await a.text()
    const b = await client.get(h2.url, { http2: true })
    await b.text()
    expect([a.trailers.get('x-t'), b.trailers.get('x-t')]).toEqual(['1', '2'])
    await client.close()
    await h1.close()
    await h2.close()
    for (let i = 0; i < 200 && activeNetAndTimers().length > before; i++) await new Promise((r) => setTimeout(r, 10))
    expect(activeNetAndTimers().length).toBeLessThanOrEqual(before)
  })
})
