// Http2Connection against real node:http2 servers (TLS with ALPN h2, and h2c with prior
// knowledge): requests, bodies, headers, trailers, capacity from SETTINGS, and per-stream
// failures (RST_STREAM, REFUSED_STREAM, timeouts, aborts) that leave the session usable.
import { constants } from 'node:http2'
import * as net from 'node:net'
import { describe, expect, it } from 'vitest'
import { AbortError, ConnectError, ConnectionClosedError, Http2Error, ReadTimeoutError } from '@sonic/core'
import { startRaw } from '@sonic/test-utils'
import { TcpTransport } from '@sonic/transport'
import { Http2Connection, isRetryableHttp2Error, type Http2BodyReader } from '../src/index.js'
import { connectTo, leaks, makeRequest, readStream, sleep, startH2, streamOf, text, until } from './helpers.js'

const cleanups = leaks.useCleanups()


describe('Http2Connection', () => {
  it('GETs over TLS with ALPN h2: status, httpVersion 2, multi-valued headers, body', async () => {
    const server = await startH2(
      (stream, headers) => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-path': String(headers[':path']) })
        stream.end(`hello ${String(headers[':scheme'])} ${String(headers[':authority'])}`)
      },
      { tls: true },
    )
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest({ path: '/x?y=1', scheme: 'https', authority: `localhost:${server.port}` }))
    expect(res.status).toBe(200)
    expect(res.statusText).toBe('OK')
    expect(res.httpVersion).toBe('2')
    expect(res.chunked).toBe(false)
    expect(res.headers.getAll('set-cookie')).toEqual(['a=1', 'b=2'])
    expect(res.headers.get('x-path')).toBe('/x?y=1')
    expect(res.headers.has(':status')).toBe(false)
    expect(await text(res.body)).toBe(`hello https localhost:${server.port}`)
    expect(conn.requestCount).toBe(1)
    expect(conn.closed).toBe(false)
  })

  it('h2c with prior knowledge: bytes and streamed bodies, content-length, connection-specific headers stripped', async () => {
    const seen: Record<string, unknown>[] = []
    const server = await startH2(async (stream, headers) => {
      seen.push({ ...headers })
      const body = await readStream(stream)
      stream.respond({ ':status': 201 })
      stream.end(body)
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const a = await conn.request(
      makeRequest({
        method: 'POST',
        body: Buffer.from('bytes body'),
        headers: ['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Proxy-Connection', 'x', 'X-Two', 'a', 'x-two', 'b', 'Cookie', 'c=1', 'cookie', 'd=2', 'TE', 'trailers'],
      }),
    )
    expect(a.status).toBe(201)
    expect(await text(a.body)).toBe('bytes body')
    const progress: number[] = []
    const b = await conn.request(
      makeRequest({ method: 'PUT', body: streamOf(['stream', 'ed ', Buffer.from('body')], 13), headers: ['Host', 'example.test:81'], onUploadProgress: (p) => progress.push(p.loaded) }),
    )
    expect(await text(b.body)).toBe('streamed body')
    expect(progress).toEqual([6, 9, 13])
    const c = await conn.request(makeRequest({ method: 'POST', body: streamOf(['no', 'length'], null) }))
    expect(await text(c.body)).toBe('nolength')
    expect(seen[0]).toMatchObject({ ':method': 'POST', ':scheme': 'http', ':authority': '127.0.0.1', 'content-length': '10', 'x-two': 'a, b', cookie: 'c=1; d=2', te: 'trailers' })
    for (const h of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']) expect(seen[0]).not.toHaveProperty(h)
    expect(seen[1]).toMatchObject({ ':method': 'PUT', ':authority': 'example.test:81', 'content-length': '13' })
    expect(seen[2]).not.toHaveProperty('content-length')
    expect(conn.requestCount).toBe(3)
  })

  it('expectContinue: the body waits for 100 Continue; a final answer first means it is never sent', async () => {
    const seen: { expect: unknown; body: string }[] = []
    const server = await startH2(async (stream, headers) => {
      if (headers[':path'] === '/reject') {
        seen.push({ expect: headers.expect, body: '' })
        stream.respond({ ':status': 417 })
        stream.end('no')
        return
      }
      stream.additionalHeaders({ ':status': 100 })
      const body = await readStream(stream)
      seen.push({ expect: headers.expect, body: body.toString() })
      stream.respond({ ':status': 200 })
      stream.end(`got ${body.length}`)
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const ok = await conn.request(makeRequest({ method: 'PUT', path: '/ok', body: Buffer.from('payload'), expectContinue: true }))
    expect(await text(ok.body)).toBe('got 7')
    const no = await conn.request(makeRequest({ method: 'PUT', path: '/reject', body: streamOf(['never', 'sent'], 9), expectContinue: true }))
    expect(no.status).toBe(417)
    expect(await text(no.body)).toBe('no')
    expect(seen).toEqual([
      { expect: '100-continue', body: 'payload' },
      { expect: '100-continue', body: '' },
    ])
    await until(() => conn.activeStreams === 0)
    expect(conn.closed).toBe(false)
    expect(await text((await conn.request(makeRequest({ method: 'PUT', path: '/ok', body: Buffer.from('ab') }))).body)).toBe('got 2')
  })

  it('capacity is the server’s SETTINGS_MAX_CONCURRENT_STREAMS, bounded by maxConcurrentStreams', async () => {
    const server = await startH2((s) => s.respond({ ':status': 204 }, { endStream: true }), { settings: { maxConcurrentStreams: 7 } })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    expect(conn.capacity).toBe(7)
    const capped = await connectTo(server, { maxConcurrentStreams: 3 })
    cleanups.push(() => capped.destroy())
    expect(capped.capacity).toBe(3)
    const res = await conn.request(makeRequest())
    expect(res.status).toBe(204)
    expect(await res.body.read()).toBeNull()
    expect(res.body.length).toBe(0)
  })

  it('exposes the trailers once the body is read', async () => {
    const server = await startH2((stream) => {
      stream.respond({ ':status': 200 }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc', 'grpc-status': '0' }))
      stream.end('payload')
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest())
    const body = res.body as Http2BodyReader
    expect(body.trailers).toBeNull()
    expect(await text(body)).toBe('payload')
    expect(body.trailers?.get('x-checksum')).toBe('abc')
    expect(body.trailers?.get('grpc-status')).toBe('0')
  })

  it('RST_STREAM fails that request alone with Http2Error carrying the code name', async () => {
    const server = await startH2((stream, headers) => {
      if (headers[':path'] === '/reset') return void stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM)
      if (headers[':path'] === '/reset-mid') {
        stream.respond({ ':status': 200 })
        stream.write('part')
        // destroy() resets at once (close() would first end the stream with END_STREAM).
        setTimeout(() => stream.destroy(new Error('server gives up')), 30)
        return
      }
      setTimeout(() => {
        stream.respond({ ':status': 200 })
        stream.end('fine')
      }, 50)
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const ok = conn.request(makeRequest({ path: '/ok' }))
    const err = await conn.request(makeRequest({ path: '/reset' })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Http2Error)
    expect((err as Http2Error).http2Code).toBe('ENHANCE_YOUR_CALM')
    expect(isRetryableHttp2Error(err)).toBe(false)
    const mid = await conn.request(makeRequest({ path: '/reset-mid' }))
    expect(Buffer.from((await mid.body.read()) as Uint8Array).toString()).toBe('part')
    const midErr = await mid.body.readAll().catch((e: unknown) => e)
    expect(midErr).toBeInstanceOf(Http2Error)
    expect((midErr as Http2Error).http2Code).toBe('INTERNAL_ERROR')
    expect(await text((await ok).body)).toBe('fine')
    expect(conn.closed).toBe(false)
    expect(await text((await conn.request(makeRequest({ path: '/ok' }))).body)).toBe('fine')
  })

  it('REFUSED_STREAM → Http2Error marked retryable', async () => {
    const server = await startH2((stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM))
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const err = await conn.request(makeRequest()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Http2Error)
    expect((err as Http2Error).http2Code).toBe('REFUSED_STREAM')
    expect(isRetryableHttp2Error(err)).toBe(true)
    expect(isRetryableHttp2Error(new Error('x'))).toBe(false)
    expect(conn.closed).toBe(false)
  })

  it('a stream the server never answers → ReadTimeoutError, the stream is reset and the session stays usable', async () => {
    const resets: number[] = []
    const server = await startH2((stream, headers) => {
      if (headers[':path'] === '/never') return void stream.on('close', () => resets.push(stream.rstCode))
      stream.respond({ ':status': 200 })
      stream.end('ok')
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const err = await conn.request(makeRequest({ path: '/never', sockRead: 150 })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReadTimeoutError)
    await until(() => resets.length === 1)
    expect(resets).toEqual([constants.NGHTTP2_CANCEL])
    expect(conn.closed).toBe(false)
    expect(await text((await conn.request(makeRequest())).body)).toBe('ok')
    await until(() => conn.activeStreams === 0)
  })

  it('sockRead bounds each wait for body bytes, not the time the reader takes', async () => {
    const server = await startH2((stream) => {
      stream.respond({ ':status': 200 })
      stream.write('first')
      // never ends
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest({ sockRead: 150 }))
    await sleep(300) // the reader is slow: no timeout while nobody waits
    expect(Buffer.from((await res.body.read()) as Uint8Array).toString()).toBe('first')
    await expect(res.body.read()).rejects.toBeInstanceOf(ReadTimeoutError)
    expect(conn.closed).toBe(false)
  })

  it('aborting one request resets its stream only; aborting after the head fails the body read', async () => {
    const resets: number[] = []
    const server = await startH2((stream, headers) => {
      stream.on('close', () => resets.push(stream.rstCode))
      if (headers[':path'] === '/slow') return
      stream.respond({ ':status': 200 })
      if (headers[':path'] === '/body') return void stream.write('x')
      setTimeout(() => stream.end('other'), 80)
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const other = conn.request(makeRequest({ path: '/other' }))
    const ac = new AbortController()
    const slow = conn.request(makeRequest({ path: '/slow', signal: ac.signal }))
    await sleep(20)
    ac.abort(new Error('stop'))
    const err = await slow.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect(await text((await other).body)).toBe('other')
    const ac2 = new AbortController()
    const res = await conn.request(makeRequest({ path: '/body', signal: ac2.signal }))
    ac2.abort()
    await expect(res.body.readAll()).rejects.toBeInstanceOf(AbortError)
    await until(() => resets.filter((c) => c === constants.NGHTTP2_CANCEL).length === 2)
    expect(conn.closed).toBe(false)
    await expect(conn.request(makeRequest({ signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(AbortError)
  })

  it('cancel() resets that stream and the session goes on', async () => {
    const resets: number[] = []
    const server = await startH2((stream) => {
      stream.on('close', () => resets.push(stream.rstCode))
      stream.respond({ ':status': 200 })
      stream.write(Buffer.alloc(100_000))
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest())
    await res.body.read()
    await res.body.cancel()
    await until(() => resets.length === 1)
    expect(resets[0]).toBe(constants.NGHTTP2_CANCEL)
    await until(() => conn.activeStreams === 0)
    expect(conn.closed).toBe(false)
    await expect(res.body.read()).rejects.toBeInstanceOf(AbortError)
  })

  it('a slow reader holds the server back through flow control, and gets every byte', async () => {
    const SIZE = 8 * 1024 * 1024
    let written = 0
    let blocked = false
    const server = await startH2((stream) => {
      stream.respond({ ':status': 200, 'content-length': String(SIZE) })
      const chunk = Buffer.alloc(16384, 7)
      const pump = () => {
        while (written < SIZE) {
          written += chunk.length
          if (!stream.write(chunk)) {
            blocked = true
            return void stream.once('drain', pump)
          }
        }
        stream.end()
      }
      pump()
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest())
    expect(res.body.length).toBe(SIZE)
    await sleep(300)
    // Nobody read: the server is stuck at about one stream window plus buffers, far from 8 MiB.
    expect(blocked).toBe(true)
    expect(written).toBeLessThan(1024 * 1024)
    let got = 0
    for (let c = await res.body.read(); c !== null; c = await res.body.read()) {
      got += c.length
      if (got < 256 * 1024) await sleep(2)
    }
    expect(got).toBe(SIZE)
  })

  it('GOAWAY: streams in flight finish, the connection reports closed and refuses new ones as retryable', async () => {
    let first = true
    const server = await startH2((stream) => {
      if (first) {
        first = false
        stream.respond({ ':status': 200 })
        setTimeout(() => stream.end('in flight'), 100)
        return
      }
      stream.respond({ ':status': 200 })
      stream.end('second')
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    let closedEvents = 0
    conn.onClose = () => closedEvents++
    const res = await conn.request(makeRequest())
    server.sessions[0]!.goaway(constants.NGHTTP2_NO_ERROR, 1)
    await until(() => conn.closed)
    expect(conn.capacity).toBe(0)
    expect(await text(res.body)).toBe('in flight')
    const err = await conn.request(makeRequest()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect(isRetryableHttp2Error(err)).toBe(true)
    await until(() => closedEvents === 1)
  })

  it('a dead session fails its streams with ConnectionClosedError and reports closed', async () => {
    const server = await startH2((stream) => {
      stream.respond({ ':status': 200 })
      stream.write('some')
    })
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest())
    const pending = conn.request(makeRequest())
    await res.body.read()
    for (const s of server.sockets) s.destroy()
    await expect(res.body.readAll()).rejects.toBeInstanceOf(ConnectionClosedError)
    const err = await pending.then(
      (r) => r.body.readAll(),
      (e: unknown) => e,
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    await until(() => conn.closed)
  })

  it('destroy(err) fails the streams in flight with that error', async () => {
    const server = await startH2(() => {})
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    const pending = conn.request(makeRequest())
    await sleep(10)
    const reason = new Http2Error('pool closed', 'CANCEL')
    conn.destroy(reason)
    await expect(pending).rejects.toBe(reason)
    expect(conn.closed).toBe(true)
    conn.destroy()
  })

  it('ready rejects with ConnectError when the peer does not speak HTTP/2', async () => {
    const server = await startRaw((socket) => {
      socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'))
      socket.on('error', () => {})
    })
    cleanups.push(() => server.close())
    const { socket } = await new TcpTransport().connect({ protocol: 'http:', hostname: '127.0.0.1', port: server.port })
    const conn = new Http2Connection(socket, { origin: `http://127.0.0.1:${server.port}` })
    cleanups.push(() => conn.destroy())
    await expect(conn.ready).rejects.toBeInstanceOf(ConnectError)
    expect(conn.closed).toBe(true)
  })

  it('pingInterval: a server that stops answering is found dead; its streams fail with ConnectionClosedError', async () => {
    const server = await startH2((stream, headers) => {
      if (headers[':path'] === '/never') return
      stream.respond({ ':status': 200 })
      stream.end('ok')
    })
    cleanups.push(() => server.close())
    // A relay that can freeze: the TCP connection stays open but nothing gets through any more.
    let frozen = false
    const relay = await startRaw((client) => {
      const up = net.connect(server.port, '127.0.0.1')
      client.on('data', (d) => (frozen ? undefined : up.write(d)))
      up.on('data', (d) => (frozen ? undefined : client.write(d)))
      client.on('close', () => up.destroy())
      up.on('close', () => client.destroy())
      client.on('error', () => {})
      up.on('error', () => {})
    })
    cleanups.push(() => relay.close())
    const conn = await connectTo({ port: relay.port, origin: `http://127.0.0.1:${relay.port}` }, { pingInterval: 100, pingTimeout: 200 })
    cleanups.push(() => conn.destroy())
    expect(await text((await conn.request(makeRequest())).body)).toBe('ok')
    const pending = conn.request(makeRequest({ path: '/never', sockRead: null }))
    await sleep(350) // pings answered while the relay works: still alive
    expect(conn.closed).toBe(false)
    frozen = true
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect((err as Error).message).toMatch(/PING/)
    expect(conn.closed).toBe(true)
    expect(() => new Http2Connection(new net.Socket(), { pingInterval: 0 })).toThrow(/pingInterval/)
  })

  it('setIdle unrefs and refs the session; bad options are InvalidArgumentError', async () => {
    const server = await startH2((s) => s.respond({ ':status': 204 }, { endStream: true }))
    cleanups.push(() => server.close())
    const conn = await connectTo(server)
    cleanups.push(() => conn.destroy())
    conn.setIdle(true)
    conn.setIdle(false)
    expect((await conn.request(makeRequest())).status).toBe(204)
    const { socket } = await new TcpTransport().connect({ protocol: 'http:', hostname: '127.0.0.1', port: server.port })
    cleanups.push(() => socket.destroy())
    expect(() => new Http2Connection(socket, { maxConcurrentStreams: 0 })).toThrow(/maxConcurrentStreams/)
    expect(() => new Http2Connection(socket, { settingsTimeout: -1 })).toThrow(/settingsTimeout/)
  })
})
