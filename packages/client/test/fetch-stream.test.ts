// fetch's streams, aborts, pools and leaks: streaming uploads with duplex: 'half', response
// bodies pulled with backpressure, AbortSignal at every stage, connection reuse counted on the
// server, createFetch with an Agent and interceptors, and 10,000 requests without a leak.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { getEventListeners } from 'node:events'
import * as http from 'node:http'
import * as https from 'node:https'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import * as zlib from 'node:zlib'
import { createLeakCheck, fromSource, makeCerts, start, until } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { Agent, ConnectError, createFetch, HttpProxy, HttpStatusError, MockAgent, raiseForStatus, ResponseTooLargeError, retry, type Dispatch, type HttpResponseHead, type FetchFunction, type Interceptor } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

async function server(handler: http.RequestListener) {
  const srv = await start(http.createServer({ keepAliveTimeout: 5000 }, handler))
  cleanups.push(() => srv.close())
  return { ...srv, url: `http://127.0.0.1:${srv.port}` }
}

function client(agent = new Agent()): FetchFunction {
  cleanups.push(() => agent.close())
  return createFetch({ dispatcher: agent })
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

const enc = new TextEncoder()

/** A promise and its resolver. */
function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void } {
  let open!: (v: T) => void
  const promise = new Promise<T>((r) => (open = r))
  return { promise, open }
}

describe('fetch: streaming uploads (duplex: half)', () => {
  it('a ReadableStream is sent chunked as it is produced, not buffered first', async () => {
    const firstArrived = gate()
    let te = ''
    const srv = await server((req, res) => {
      te = String(req.headers['transfer-encoding'])
      const got: Buffer[] = []
      req.on('data', (c: Buffer) => {
        got.push(c)
        firstArrived.open()
      })
      req.on('end', () => res.end(Buffer.concat(got).toString()))
    })
    const f = client()
    let n = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        n++
        if (n === 1) c.enqueue(enc.encode('first,'))
        else if (n === 2) {
          // The server must have the first chunk before the second is made.
          await firstArrived.promise
          c.enqueue(enc.encode('second'))
        } else c.close()
      },
    })
    const res = await f(srv.url, { method: 'POST', body, duplex: 'half' })
    expect(await res.text()).toBe('first,second')
    expect(te).toBe('chunked')
  })

  it('an async iterable body streams too', async () => {
    const srv = await server(async (req, res) => {
      const got: Buffer[] = []
      for await (const c of req) got.push(c as Buffer)
      res.end(Buffer.concat(got).toString())
    })
    const f = client()
    async function* gen() {
      yield enc.encode('a')
      yield enc.encode('b')
    }
    expect(await (await f(srv.url, { method: 'PUT', body: gen(), duplex: 'half' })).text()).toBe('ab')
  })

  it('a Request with a streaming body is streamed, not read whole first', async () => {
    const firstArrived = gate()
    const srv = await server((req, res) => {
      const got: Buffer[] = []
      req.on('data', (c: Buffer) => {
        got.push(c)
        firstArrived.open()
      })
      req.on('end', () => res.end(Buffer.concat(got).toString()))
    })
    const f = client()
    let n = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        n++
        if (n === 1) c.enqueue(enc.encode('x'))
        else if (n === 2) {
          await firstArrived.promise
          c.enqueue(enc.encode('y'))
        } else c.close()
      },
    })
    const req = new Request(srv.url, { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(await (await f(req)).text()).toBe('xy')
  })

  it('a stream yielding something other than bytes → TypeError', async () => {
    const srv = await server((req, res) => {
      req.resume()
      req.on('end', () => res.end())
    })
    const f = client()
    const body = new ReadableStream({
      start(c) {
        c.enqueue(42)
        c.close()
      },
    })
    await expect(f(srv.url, { method: 'POST', body, duplex: 'half' })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('fetch: response bodies', () => {
  it('chunks arrive as a slow server writes them', async () => {
    let written = 0
    const next = gate()
    const srv = await server(async (_req, res) => {
      res.writeHead(200)
      for (let i = 0; i < 5; i++) {
        res.write(`chunk${i};`)
        written++
        if (i === 0) await next.promise
        else await new Promise((r) => setTimeout(r, 10))
      }
      res.end()
    })
    const f = client()
    const res = await f(srv.url)
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('chunk0;')
    expect(written).toBe(1)
    next.open()
    let rest = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value)
    expect(rest).toBe('chunk1;chunk2;chunk3;chunk4;')
  })

  it('backpressure: a body not read is not pulled off the socket', async () => {
    const total = 64 * 1024 * 1024
    let sent = 0
    const srv = await server(async (_req, res) => {
      res.writeHead(200, { 'content-length': total })
      const block = Buffer.alloc(64 * 1024, 0x61)
      while (sent < total) {
        sent += block.length
        if (!res.write(block)) await new Promise((r) => res.once('drain', r))
      }
      res.end()
    })
    const f = client()
    const res = await f(srv.url)
    const reader = res.body!.getReader()
    let got = (await reader.read()).value!.length
    await new Promise((r) => setTimeout(r, 300))
    // Socket buffers hold a few MiB at most; the rest waits for the reader.
    expect(sent).toBeLessThan(total / 2)
    for (let r = await reader.read(); !r.done; r = await reader.read()) got += r.value.length
    expect(got).toBe(total)
  })

  it('cancelling the body gives the connection back (drained) or closes it', async () => {
    const srv = await server((_req, res) => res.end('x'.repeat(100)))
    const agent = new Agent()
    const f = client(agent)
    const res = await f(srv.url)
    await res.body!.cancel()
    await until(() => agent.stats.busy === 0)
    const again = await f(srv.url)
    expect((await again.text()).length).toBe(100)
    expect(srv.sockets.length).toBe(1)
  })

  it('a decompression bomb errors the body with TypeError whose cause is ResponseTooLargeError', async () => {
    const bomb = zlib.brotliCompressSync(Buffer.alloc(16 * 1024 * 1024), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'br', 'content-length': bomb.length })
      res.end(bomb)
    })
    const f = client()
    const err = await rejection((await f(srv.url)).arrayBuffer())
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).cause).toBeInstanceOf(ResponseTooLargeError)
  })
})

describe('fetch: abort', () => {
  it('an aborted signal rejects at once with its reason (AbortError DOMException); nothing is sent', async () => {
    let hits = 0
    const srv = await server((_req, res) => {
      hits++
      res.end()
    })
    const f = client()
    const err = await rejection(f(srv.url, { signal: AbortSignal.abort() }))
    expect(err).toBeInstanceOf(DOMException)
    expect((err as DOMException).name).toBe('AbortError')
    const mine = new Error('mine')
    const ac = new AbortController()
    ac.abort(mine)
    expect(await rejection(f(srv.url, { signal: ac.signal }))).toBe(mine)
    expect(hits).toBe(0)
  })

  it('while waiting for the head: rejects with the reason, the server sees the connection close', async () => {
    const closed = gate()
    const arrived = gate()
    const srv = await server((req) => {
      req.socket.on('close', () => closed.open())
      arrived.open()
    })
    const f = client()
    const ac = new AbortController()
    const p = f(srv.url, { signal: ac.signal })
    await arrived.promise
    ac.abort()
    const err = await rejection(p)
    expect((err as DOMException).name).toBe('AbortError')
    await closed.promise
  })

  it('the signal of a Request given as input aborts it', async () => {
    const arrived = gate()
    const srv = await server(() => arrived.open())
    const f = client()
    const ac = new AbortController()
    const p = f(new Request(srv.url, { signal: ac.signal }))
    await arrived.promise
    ac.abort(new Error('from the request'))
    expect(((await rejection(p)) as Error).message).toBe('from the request')
  })

  it('during a streaming upload: rejects with the reason and cancels the body stream', async () => {
    const arrived = gate()
    const srv = await server((req) => {
      req.once('data', () => arrived.open())
    })
    const f = client()
    const ac = new AbortController()
    let cancelled = false
    let n = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (n++ === 0) c.enqueue(enc.encode('first'))
        else await new Promise((r) => setTimeout(r, 20)).then(() => c.enqueue(enc.encode('more')))
      },
      cancel() {
        cancelled = true
      },
    })
    const p = f(srv.url, { method: 'POST', body, duplex: 'half', signal: ac.signal })
    await arrived.promise
    ac.abort()
    expect(((await rejection(p)) as DOMException).name).toBe('AbortError')
    await until(() => cancelled)
  })

  it('AbortSignal.timeout rejects with a TimeoutError', async () => {
    const srv = await server(() => {})
    const f = client()
    const err = await rejection(f(srv.url, { signal: AbortSignal.timeout(50) }))
    expect((err as DOMException).name).toBe('TimeoutError')
  })

  it('while reading the body: the stream errors with the reason and the connection is closed', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200)
      res.write('part')
    })
    const agent = new Agent()
    const f = client(agent)
    const ac = new AbortController()
    const res = await f(srv.url, { signal: ac.signal })
    const reader = res.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('part')
    const pending = reader.read()
    ac.abort()
    const err = await rejection(pending)
    expect((err as DOMException).name).toBe('AbortError')
    await until(() => agent.stats.connections === 0)
  })

  it('after the head, before the body is read: text() rejects with the reason', async () => {
    const srv = await server((_req, res) => res.end('complete'))
    const f = client()
    const ac = new AbortController()
    const res = await f(srv.url, { signal: ac.signal })
    await new Promise((r) => setTimeout(r, 20))
    ac.abort(new Error('late'))
    const err = await rejection(res.text())
    expect((err as Error).message).toBe('late')
  })

  it('after the body was read: nothing happens', async () => {
    const srv = await server((_req, res) => res.end('done'))
    const f = client()
    const ac = new AbortController()
    const res = await f(srv.url, { signal: ac.signal })
    expect(await res.text()).toBe('done')
    ac.abort()
  })

  it('one long-lived signal over many requests keeps no listeners', async () => {
    const srv = await server((_req, res) => res.end('ok'))
    const f = client()
    const ac = new AbortController()
    for (let i = 0; i < 200; i++) await (await f(srv.url, { signal: ac.signal })).text()
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0)
  })
})

describe('fetch: pools, createFetch and interceptors', () => {
  it('reuses kept-alive connections: 30 sequential requests, one connection; 8 at once, at most the pool size', async () => {
    const srv = await server((req, res) => res.end(req.url))
    const agent = new Agent({ poolConfigs: { ':default': { size: 4 } } })
    const f = client(agent)
    for (let i = 0; i < 30; i++) expect(await (await f(`${srv.url}/${i}`)).text()).toBe(`/${i}`)
    expect(srv.sockets.length).toBe(1)
    const bodies = await Promise.all(Array.from({ length: 8 }, (_, i) => f(`${srv.url}/p${i}`).then((r) => r.text())))
    expect(bodies).toEqual(Array.from({ length: 8 }, (_, i) => `/p${i}`))
    expect(srv.sockets.length).toBeLessThanOrEqual(4)
    expect(agent.stats.busy).toBe(0)
  })

  it('an interceptor runs on every redirect hop and sees plain DispatchRequests', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: '/end' })
        res.end()
      } else res.end(String(req.headers['x-trace']))
    })
    const seen: string[] = []
    const trace: Interceptor = (next) => (req) => {
      seen.push(`${req.method} ${req.path}`)
      return next({ ...req, headers: [...req.headers, 'x-trace', 'abc'] })
    }
    const agent = new Agent()
    cleanups.push(() => agent.close())
    const f = createFetch({ dispatcher: agent, interceptors: [trace] })
    const res = await f(`${srv.url}/start`)
    expect(await res.text()).toBe('abc')
    expect(seen).toEqual(['GET /start', 'GET /end'])
  })

  it('diagnostics_channel sees each hop of a fetch', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/a') {
        res.writeHead(307, { location: '/b' })
        res.end()
      } else res.end('b')
    })
    const f = client()
    const created: string[] = []
    const headers: number[] = []
    const onCreate = (m: unknown) => created.push((m as { request: { path: string } }).request.path)
    const onHeaders = (m: unknown) => headers.push((m as { response: { status: number } }).response.status)
    subscribe('sonic:request:create', onCreate)
    subscribe('sonic:request:headers', onHeaders)
    try {
      expect(await (await f(`${srv.url}/a`)).text()).toBe('b')
    } finally {
      unsubscribe('sonic:request:create', onCreate)
      unsubscribe('sonic:request:headers', onHeaders)
    }
    expect(created).toEqual(['/a', '/b'])
    expect(headers).toEqual([307, 200])
  })

  it('retry() and raiseForStatus() given to createFetch use their own options', async () => {
    let hits = 0
    const srv = await server((req, res) => {
      hits++
      if (req.url === '/flaky' && hits < 3) res.writeHead(503)
      else if (req.url === '/missing') res.writeHead(404)
      res.end(req.url)
    })
    const agent = new Agent()
    cleanups.push(() => agent.close())
    const retrying = createFetch({ dispatcher: agent, interceptors: [retry({ limit: 2, statusCodes: [503], backoff: () => 5 })] })
    const res = await retrying(`${srv.url}/flaky`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('/flaky')
    expect(hits).toBe(3)
    const strict = createFetch({ dispatcher: agent, interceptors: [raiseForStatus()] })
    const err = await rejection(strict(`${srv.url}/missing`))
    expect(err).toBeInstanceOf(TypeError)
    const cause = (err as TypeError).cause as HttpStatusError
    expect(cause).toBeInstanceOf(HttpStatusError)
    expect(cause.status).toBe(404)
    // The error's response is the head, its body unread: release it.
    await (cause.response as HttpResponseHead).body.cancel()
    expect(agent.stats.busy).toBe(0)
  })

  it('an interceptor can send fetch through an HTTP proxy (absolute form, every hop)', async () => {
    const target = await server((req, res) => {
      if (req.url === '/hop') {
        res.writeHead(302, { location: '/there' })
        res.end()
      } else res.end(`target saw ${req.url}`)
    })
    const seen: string[] = []
    const proxy = await server((req, res) => {
      seen.push(String(req.url))
      // Forwarded by hand: Readable.pipe() looks at process.stdout, which opens a pipe handle.
      const out = http.request(String(req.url), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers)
        up.on('data', (c: Buffer) => res.write(c))
        up.on('end', () => res.end())
      })
      out.on('error', () => res.destroy())
      req.on('data', (c: Buffer) => out.write(c))
      req.on('end', () => out.end())
    })
    const viaProxy: Interceptor = (next) => (req) => next({ ...req, proxy: new HttpProxy(proxy.url) })
    const agent = new Agent()
    cleanups.push(() => agent.close())
    const f = createFetch({ dispatcher: agent, interceptors: [viaProxy] })
    const res = await f(`${target.url}/hop`)
    expect(await res.text()).toBe('target saw /there')
    expect(res.url).toBe(`${target.url}/there`)
    expect(seen).toEqual([`${target.url}/hop`, `${target.url}/there`])
  })

  it('a MockAgent answers fetch (users’ own tests need no server)', async () => {
    const mock = new MockAgent()
    cleanups.push(() => mock.close())
    mock.disableNetConnect()
    mock.intercept({ origin: 'http://api.test', path: '/users/1' }).reply(200, { id: 1 }, { 'content-type': 'application/json' })
    const f = createFetch({ dispatcher: mock })
    const res = await f('http://api.test/users/1')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ id: 1 })
    const err = await rejection(f('http://api.test/other'))
    expect(err).toBeInstanceOf(TypeError)
    expect(((err as TypeError).cause as { code: string }).code).toBe('SONIC_MOCK_NOT_MATCHED')
    mock.assertNoPendingInterceptors()
  })

  it('a { dispatch, close } dispatcher is used as it is', async () => {
    const srv = await server((_req, res) => res.end('via wrapper'))
    const agent = new Agent()
    cleanups.push(() => agent.close())
    let calls = 0
    const dispatch: Dispatch = (req) => {
      calls++
      return agent.dispatch(req)
    }
    const f = createFetch({ dispatcher: { dispatch, close: () => agent.close() } })
    expect(await (await f(srv.url)).text()).toBe('via wrapper')
    expect(calls).toBe(1)
  })

  it('an Agent’s own timeouts apply: sockRead → TypeError whose cause is ReadTimeoutError', async () => {
    const srv = await server(() => {})
    const f = client(new Agent({ timeouts: { sockRead: 100 } }))
    const err = await rejection(f(srv.url))
    expect(err).toBeInstanceOf(TypeError)
    expect(((err as TypeError).cause as { code: string }).code).toBe('SONIC_READ_TIMEOUT')
  })

  it('10,000 requests, 50 at a time: right bodies, no busy connection, no leak', { timeout: 120000 }, async () => {
    const srv = await server((req, res) => res.end(req.url))
    const agent = new Agent({ poolConfigs: { ':default': { size: 50 } } })
    const f = client(agent)
    const ac = new AbortController()
    let next = 0
    let wrong = 0
    const worker = async (): Promise<void> => {
      while (next < 10000) {
        const i = next++
        const res = await f(`${srv.url}/${i}`, i % 2 === 0 ? { signal: ac.signal } : { method: 'POST', body: String(i) })
        if ((await res.text()) !== `/${i}`) wrong++
      }
    }
    await Promise.all(Array.from({ length: 50 }, worker))
    expect(wrong).toBe(0)
    expect(agent.stats.busy).toBe(0)
    expect(srv.sockets.length).toBeLessThanOrEqual(50)
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0)
  })
})

describe('fetch: TLS and unread bodies', () => {
  it('https: an untrusted certificate → TypeError whose cause is ConnectError; an interceptor can give the CA', async () => {
    const certs = makeCerts()
    const srv = await start(https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (_req, res) => res.end('secure')))
    cleanups.push(() => srv.close())
    const url = `https://127.0.0.1:${srv.port}/`
    const plain = client()
    const err = await rejection(plain(url))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as TypeError).cause).toBeInstanceOf(ConnectError)
    const trustCa: Interceptor = (next) => (req) => next({ ...req, tls: { ca: certs.ca.cert } })
    const agent = new Agent()
    cleanups.push(() => agent.close())
    const trusting = createFetch({ dispatcher: agent, interceptors: [trustCa] })
    expect(await (await trusting(url)).text()).toBe('secure')
  })

  it('a response dropped unread gives its connection back once collected', { timeout: 30000 }, async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const srv = await server((_req, res) => res.end('x'.repeat(1000)))
    const agent = new Agent({ poolConfigs: { ':default': { size: 1 } } })
    const f = client(agent)
    await (async () => {
      const res = await f(srv.url)
      expect(res.status).toBe(200)
    })()
    for (let i = 0; i < 50 && agent.stats.busy > 0; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(agent.stats.busy).toBe(0)
    // The pool of one serves the next request.
    expect(await (await f(srv.url)).text()).toHaveLength(1000)
  })
})
