// HTTPClient over HTTP/2 against real node:http2 servers (TLS with ALPN, h2c), an HTTP/1.1-only
// TLS server (ALPN fallback), plain HTTP/1.1 servers (redirect targets) and, when installed,
// tinyproxy (CONNECT to an h2 server). Every client behaviour is checked over HTTP/2: redirects,
// cookies, decompression, multipart, SSE beside short requests on one session, retries of
// refused streams, per-stream timeouts.
import http2 from 'node:http2'
import net from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasCommand, freePort, startDaemon, type Daemon } from '@sonic/test-utils'
import { Agent, createFetch, HTTPClient, Http2Error, HttpProxy, MultipartFile, MultipartForm, ReadTimeoutError, RequestTimeoutError, SSEClient, TCPConnector } from '../src/index.js'
import { activeNetAndTimers, httpServer, httpsServer, selfSigned, useCleanups, type Running } from './helpers.js'

const using = useCleanups()

interface H2 extends Running<http2.Http2Server> {
  sessions: number
  streams: number
}

/** An HTTP/2 server (TLS by default, h2c when `tls: false`) that counts sessions and streams. */
async function h2Server(
  handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, server: H2) => void,
  opts: { tls?: boolean; settings?: http2.Settings } = {},
): Promise<H2> {
  const tls = opts.tls ?? true
  const { key, cert } = selfSigned()
  const server = tls ? http2.createSecureServer({ key, cert, settings: opts.settings ?? {} }) : http2.createServer({ settings: opts.settings ?? {} })
  const sockets = new Set<net.Socket>()
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  const h2: H2 = {
    server,
    port,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    sessions: 0,
    streams: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  server.on('session', (s) => {
    h2.sessions++
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
    s.on('error', () => {})
  })
  server.on('stream', (stream, headers) => {
    h2.streams++
    stream.on('error', () => {})
    handler(stream, headers, h2)
  })
  return h2
}

function readAll(stream: http2.ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

const ca = () => selfSigned().cert

describe('HTTPClient with http2', () => {
  it('http2: true over TLS: ALPN picks h2, res.httpVersion is 2, concurrent requests share one session', async () => {
    const srv = using(
      await h2Server((stream, headers) => {
        setTimeout(() => {
          stream.respond({ ':status': 200, 'content-type': 'application/json' })
          stream.end(JSON.stringify({ path: headers[':path'], authority: headers[':authority'], scheme: headers[':scheme'] }))
        }, 10)
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const res = await client.get(`${srv.url}/a?b=1`, { tls: { ca: ca() } })
    expect(res.httpVersion).toBe('2')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ path: '/a?b=1', authority: `127.0.0.1:${srv.port}`, scheme: 'https' })
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`${srv.url}/${i}`, { tls: { ca: ca() } }).then((r) => r.json())))
    expect(all.map((j) => (j as { path: string }).path)).toEqual(Array.from({ length: 50 }, (_, i) => `/${i}`))
    expect(srv.sessions).toBe(1)
  })

  it("h2c with prior knowledge for http: with http2: true; 'auto' is HTTP/1.1 on http: and h2 on https:", async () => {
    const h2c = using(await h2Server((stream) => stream.respond({ ':status': 200 }, { endStream: true }) as unknown as void, { tls: false }))
    const tlsH2 = using(await h2Server((stream) => stream.respond({ ':status': 204 }, { endStream: true }) as unknown as void))
    const h1 = using(await httpServer((_req, res) => res.end('one')))
    const client = using(new HTTPClient({ http2: 'auto' }))
    const a = await client.get(h1.url)
    expect(a.httpVersion).toBe('1.1')
    expect(await a.text()).toBe('one')
    const b = await client.get(tlsH2.url, { tls: { ca: ca() } })
    expect(b.httpVersion).toBe('2')
    expect(b.status).toBe(204)
    const c = await client.get(h2c.url, { http2: true })
    expect(c.httpVersion).toBe('2')
    await c.bytes()
    expect(h2c.sessions).toBe(1)
  })

  it('createFetch over an Agent with http2: true speaks h2c: one session for many fetches', async () => {
    const h2c = using(
      await h2Server(
        (stream, headers) => {
          stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-path': String(headers[':path']) })
          stream.end(`via h2 ${String(headers[':method'])}`)
        },
        { tls: false },
      ),
    )
    const agent = new Agent({ http2: true })
    try {
      const f = createFetch({ dispatcher: agent })
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => f(`${h2c.url}/n/${i}`, { method: i % 2 === 0 ? 'GET' : 'POST', body: i % 2 === 0 ? undefined : 'x' })))
      for (const [i, res] of all.entries()) {
        expect(res).toBeInstanceOf(Response)
        expect(res.status).toBe(200)
        expect(res.headers.get('x-path')).toBe(`/n/${i}`)
        expect(await res.text()).toBe(`via h2 ${i % 2 === 0 ? 'GET' : 'POST'}`)
      }
      expect(h2c.sessions).toBe(1)
      expect(h2c.streams).toBe(20)
    } finally {
      await agent.close()
    }
  })

  it('falls back to HTTP/1.1 when the TLS server does not pick h2', async () => {
    const h1tls = using(await httpsServer((_req, res) => res.end('only h1')))
    const client = using(new HTTPClient({ http2: true }))
    const res = await client.get(h1tls.url, { tls: { ca: ca() } })
    expect(res.httpVersion).toBe('1.1')
    expect(await res.text()).toBe('only h1')
    expect(await (await client.get(h1tls.url, { tls: { ca: ca() } })).text()).toBe('only h1')
  })

  it('the request’s http2 wins, and HTTP/2 and HTTP/1.1 pools never mix', async () => {
    const srv = using(
      await h2Server((stream) => {
        stream.respond({ ':status': 200 })
        stream.end('x')
      }),
    )
    const { key, cert } = selfSigned()
    // allowHTTP1 lets the same server answer HTTP/1.1 too (its ALPN then follows the client's offer).
    const both = http2.createSecureServer({ key, cert, allowHTTP1: true }, (_req, res) => res.end(`v${_req.httpVersion}`))
    const bothSockets: net.Socket[] = []
    both.on('connection', (s: net.Socket) => bothSockets.push(s))
    await new Promise<void>((r) => both.listen(0, '127.0.0.1', r))
    using({ close: () => new Promise<void>((r) => (bothSockets.forEach((s) => s.destroy()), both.close(() => r()))) })
    const url = `https://127.0.0.1:${(both.address() as net.AddressInfo).port}`
    const agent = new Agent()
    const client = using(new HTTPClient({ dispatcher: agent }))
    const one = await client.get(url, { tls: { ca: ca() } })
    expect(await one.text()).toBe('v1.1')
    const two = await client.get(url, { tls: { ca: ca() }, http2: true })
    expect(two.httpVersion).toBe('2')
    expect(await two.text()).toBe('v2.0')
    expect(agent.stats.pools).toBe(2)
    expect(srv.sessions).toBe(0)
    await expect(client.get(url, { http2: 'yes' as unknown as boolean })).rejects.toThrow(/http2 must be/)
  })

  it('redirects from an h2 host to HTTP/1.1 hosts (http: with auto, https: by ALPN fallback), with the history', async () => {
    const h1 = using(await httpServer((req, res) => res.end(`h1 got ${req.url}`)))
    const h1tls = using(await httpsServer((req, res) => res.end(`h1 tls got ${req.url}`)))
    const srv = using(
      await h2Server((stream, headers) => {
        stream.respond({ ':status': 302, location: headers[':path'] === '/to-tls' ? `${h1tls.url}/landed` : `${h1.url}/landed` })
        stream.end()
      }),
    )
    const auto = using(new HTTPClient({ http2: 'auto' }))
    const res = await auto.get(`${srv.url}/start`, { follow: true, tls: { ca: ca() } })
    expect(res.httpVersion).toBe('1.1')
    expect(await res.text()).toBe('h1 got /landed')
    expect(res.history.map((h) => [h.status, h.httpVersion])).toEqual([[302, '2']])
    const always = using(new HTTPClient({ http2: true }))
    const res2 = await always.get(`${srv.url}/to-tls`, { follow: true, tls: { ca: ca() } })
    expect(res2.httpVersion).toBe('1.1')
    expect(await res2.text()).toBe('h1 tls got /landed')
    expect(res2.history.map((h) => [h.status, h.httpVersion])).toEqual([[302, '2']])
  })

  it('cookies: Set-Cookie from h2 responses is sent back in one cookie field', async () => {
    const seen: (string | undefined)[] = []
    const srv = using(
      await h2Server((stream, headers) => {
        seen.push(headers.cookie as string | undefined)
        stream.respond({ ':status': 200, 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] })
        stream.end('ok')
      }),
    )
    const client = using(new HTTPClient({ http2: true, handleCookies: true }))
    const first = await client.get(`${srv.url}/`, { tls: { ca: ca() } })
    expect([...first.cookies.entries()]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ])
    await first.text()
    await (await client.get(`${srv.url}/again`, { tls: { ca: ca() } })).text()
    expect(seen[0]).toBeUndefined()
    expect(seen[1]).toBe('a=1; b=2')
  })

  it('decompresses gzip and uploads multipart over h2', async () => {
    const payload = 'compressed '.repeat(1000)
    const srv = using(
      await h2Server(async (stream, headers) => {
        if (headers[':path'] === '/gz') {
          stream.respond({ ':status': 200, 'content-encoding': 'gzip', 'content-type': 'text/plain' })
          stream.end(gzipSync(payload))
          return
        }
        const body = await readAll(stream)
        stream.respond({ ':status': 200, 'content-type': 'application/json' })
        stream.end(JSON.stringify({ type: headers['content-type'], length: headers['content-length'], size: body.length, body: body.toString('latin1') }))
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const gz = await client.get(`${srv.url}/gz`, { tls: { ca: ca() } })
    expect(await gz.text()).toBe(payload)
    const form = new MultipartForm()
    form.addField('field1', 'value1')
    form.addField('file1', new MultipartFile(Buffer.from('file bytes'), { filename: 'f.txt', contentType: 'text/plain' }))
    const res = await client.post(`${srv.url}/upload`, { data: form, tls: { ca: ca() } })
    const seen = (await res.json()) as { type: string; length?: string; size: number; body: string }
    expect(seen.type).toMatch(/^multipart\/form-data; boundary=/)
    expect(seen.body).toContain('name="field1"\r\n\r\nvalue1\r\n')
    expect(seen.body).toContain('filename="f.txt"')
    expect(seen.body).toContain('file bytes')
    if (seen.length !== undefined) expect(Number(seen.length)).toBe(seen.size)
  })

  it('an SSE stream runs beside short requests on one session (h2c)', async () => {
    let sseStream: http2.ServerHttp2Stream | null = null
    const srv = using(
      await h2Server((stream, headers) => {
        if (headers[':path'] === '/events') {
          sseStream = stream
          stream.respond({ ':status': 200, 'content-type': 'text/event-stream' })
          let n = 0
          const timer = setInterval(() => {
            if (stream.destroyed || stream.closed) return void clearInterval(timer)
            stream.write(`id: ${n}\ndata: tick ${n}\n\n`)
            if (++n === 5) {
              clearInterval(timer)
              stream.end()
            }
          }, 30)
          stream.on('close', () => clearInterval(timer))
          return
        }
        stream.respond({ ':status': 200 })
        stream.end(`short ${headers[':path']}`)
      }, { tls: false }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const sse = new SSEClient(client)
    const conn = await sse.connect(`${srv.url}/events`, { reconnect: false })
    const events: string[] = []
    const reading = (async () => {
      for await (const ev of conn) events.push(ev.data)
    })()
    const shorts = await Promise.all(Array.from({ length: 20 }, (_, i) => client.get(`${srv.url}/s${i}`).then((r) => r.text())))
    expect(shorts).toEqual(Array.from({ length: 20 }, (_, i) => `short /s${i}`))
    await reading
    conn.close()
    expect(sseStream).not.toBeNull()
    expect(events).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4'])
    expect(srv.sessions).toBe(1)
  })

  it('REFUSED_STREAM is retried once on another stream; twice → Http2Error', async () => {
    const tries = new Map<string, number>()
    const srv = using(
      await h2Server((stream, headers) => {
        const path = String(headers[':path'])
        const n = (tries.get(path) ?? 0) + 1
        tries.set(path, n)
        if (path === '/always' || n === 1) return void stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
        stream.respond({ ':status': 200 })
        stream.end(`ok after ${n}`)
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    expect(await (await client.get(`${srv.url}/once`, { tls: { ca: ca() } })).text()).toBe('ok after 2')
    expect(await (await client.post(`${srv.url}/post`, { data: 'body', tls: { ca: ca() } })).text()).toBe('ok after 2')
    const err = (await client.get(`${srv.url}/always`, { tls: { ca: ca() } }).catch((e: unknown) => e)) as Http2Error
    expect(err).toBeInstanceOf(Http2Error)
    expect(err.http2Code).toBe('REFUSED_STREAM')
    expect(tries.get('/always')).toBe(2)
  })

  it('RST_STREAM fails that request with Http2Error; a stream that never answers times out alone', async () => {
    const srv = using(
      await h2Server((stream, headers) => {
        if (headers[':path'] === '/reset') return void stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
        if (headers[':path'] === '/never') return
        stream.respond({ ':status': 200 })
        stream.end('fine')
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const err = (await client.get(`${srv.url}/reset`, { tls: { ca: ca() } }).catch((e: unknown) => e)) as Http2Error
    expect(err).toBeInstanceOf(Http2Error)
    expect(err.http2Code).toBe('INTERNAL_ERROR')
    expect(err.message).toContain(`GET ${srv.url}/reset`)
    const slow = client.get(`${srv.url}/never`, { tls: { ca: ca() }, timeouts: { sockRead: 200 } }).catch((e: unknown) => e)
    expect(await (await client.get(`${srv.url}/ok`, { tls: { ca: ca() } })).text()).toBe('fine')
    expect(await slow).toBeInstanceOf(ReadTimeoutError)
    expect(await (await client.get(`${srv.url}/ok`, { tls: { ca: ca() } })).text()).toBe('fine')
    // requestTimeout ends that request's stream alone; the session serves the others on.
    const other = client.get(`${srv.url}/ok`, { tls: { ca: ca() } }).then((r) => r.text())
    const late = await client.get(`${srv.url}/never`, { tls: { ca: ca() }, timeouts: { requestTimeout: 200 } }).catch((e: unknown) => e)
    expect(late).toBeInstanceOf(RequestTimeoutError)
    expect(await other).toBe('fine')
    expect(await (await client.get(`${srv.url}/ok`, { tls: { ca: ca() } })).text()).toBe('fine')
    expect(srv.sessions).toBe(1)
  })

  it('GOAWAY mid-load: streams in flight finish, those above its last stream id are resent on a new session', async () => {
    let seen = 0
    const srv = using(
      await h2Server((stream, headers) => {
        seen++
        if (seen === 10) {
          // Streams up to this one (id 19) are answered; any later one on this session is refused.
          stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id!)
        }
        setTimeout(() => {
          if (stream.destroyed) return
          stream.respond({ ':status': 200 })
          stream.end(String(headers[':path']))
        }, 30)
      }),
    )
    const client = using(new HTTPClient({ http2: true }))
    const bodies = await Promise.all(Array.from({ length: 40 }, (_, i) => client.get(`${srv.url}/${i}`, { tls: { ca: ca() } }).then((r) => r.text())))
    expect(bodies).toEqual(Array.from({ length: 40 }, (_, i) => `/${i}`))
    expect(srv.sessions).toBe(2)
  })

  it('TCPConnector({ http2: true }) uses Http2MultiplexPool and opens one session for a burst', async () => {
    const srv = using(
      await h2Server(
        (stream) => {
          setTimeout(() => {
            stream.respond({ ':status': 200 })
            stream.end('b')
          }, 5)
        },
        { settings: { maxConcurrentStreams: 1000 } },
      ),
    )
    const connector = new TCPConnector({ http2: true })
    const client = using(new HTTPClient({ connector }))
    const bodies = await Promise.all(Array.from({ length: 300 }, () => client.get(srv.url, { tls: { ca: ca() } }).then((r) => r.text())))
    expect(bodies.every((b) => b === 'b')).toBe(true)
    expect(srv.sessions).toBe(1)
    expect(connector.stats.connections).toBe(1)
  })
})

describe('HTTP/2 clean-up', () => {
  it('close() ends every session: no socket or timer is left', async () => {
    const before = activeNetAndTimers().length
    const srv = await h2Server((stream) => {
      stream.respond({ ':status': 200 })
      stream.end('bye')
    })
    const client = new HTTPClient({ http2: true })
    await Promise.all(Array.from({ length: 10 }, () => client.get(srv.url, { tls: { ca: ca() } }).then((r) => r.text())))
    const slow = client.get(`${srv.url}/`, { tls: { ca: ca() } })
    await (await slow).text()
    await client.close()
    // The client's sessions end, and with them the server's side of each (the server stays up).
    for (let i = 0; i < 200 && activeNetAndTimers().length > before; i++) await new Promise((r) => setTimeout(r, 10))
    expect(activeNetAndTimers().length).toBeLessThanOrEqual(before)
    await srv.close()
  })
})

describe.skipIf(!hasCommand('tinyproxy'))('HTTP/2 through tinyproxy (CONNECT)', () => {
  let proxy: Daemon
  let srv: H2
  beforeAll(async () => {
    srv = await h2Server((stream, headers) => {
      stream.respond({ ':status': 200 })
      stream.end(`through ${headers[':path']}`)
    })
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'sonic-h2-tinyproxy-'))
    const conf = join(dir, 'tinyproxy.conf')
    writeFileSync(conf, ['Listen 127.0.0.1', `Port ${port}`, 'Timeout 30', 'Allow 127.0.0.1', 'LogLevel Info', `ConnectPort ${srv.port}`, ''].join('\n'))
    proxy = await startDaemon('tinyproxy', ['-d', '-c', conf], port, dir)
  })
  afterAll(async () => {
    await proxy?.stop()
    await srv?.close()
  })

  it('tunnels with CONNECT, then TLS with ALPN h2 to the target; requests share the tunnelled session', async () => {
    const client = using(new HTTPClient({ http2: true, proxy: new HttpProxy(`http://127.0.0.1:${proxy.port}`) }))
    const res = await client.get(`${srv.url}/p`, { tls: { ca: ca() } })
    expect(res.httpVersion).toBe('2')
    expect(await res.text()).toBe('through /p')
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => client.get(`${srv.url}/q${i}`, { tls: { ca: ca() } }).then((r) => r.text())))
    expect(more).toEqual(Array.from({ length: 10 }, (_, i) => `through /q${i}`))
    expect(srv.sessions).toBe(1)
  })
})

if (!hasCommand('tinyproxy')) console.warn('http2.test.ts: tinyproxy not found: the CONNECT-to-h2 test is SKIPPED')
