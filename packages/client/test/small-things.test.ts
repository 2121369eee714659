// The small things a new user trips over: params as a raw query, object values, an existing query
// kept, client-level auth and cookies, waitRequests() and bodies, json() on bad JSON,
// maxHeaderSize on the client, decompress: false, and a 1 GiB gzip bomb in bounded memory.
import type http from 'node:http'
import zlib from 'node:zlib'
import { createLeakCheck, fromSource } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import {
  HTTPClient,
  InvalidArgumentError,
  ResponseTooLargeError,
  SonicError,
  TCPConnector,
} from '../src/index.js'
import { httpServer, sleep } from './helpers.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()
function using<T extends { close(): Promise<void> }>(x: T): T {
  cleanups.push(() => x.close())
  return x
}

type Seen = { url: string; headers: http.IncomingHttpHeaders }

/** Echoes what it saw as JSON; /to?url=… redirects there. */
async function echo() {
  const seen: Seen[] = []
  const srv = using(
    await httpServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers })
      const u = new URL(req.url!, 'http://x')
      if (u.pathname === '/to') {
        res.writeHead(302, { location: u.searchParams.get('url')! })
        res.end()
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null }))
    }),
  )
  return { srv, seen }
}

describe('params', () => {
  it('a string is a raw query, sent as it is', async () => {
    const { srv, seen } = await echo()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    await (await c.get('/p', { params: 'a=1&flag&b=%2F+x&c=d,e' })).release()
    await (await c.get('/p', { params: '?q=already' })).release()
    expect(seen.map((s) => s.url)).toEqual(['/p?a=1&flag&b=%2F+x&c=d,e', '/p?q=already'])
  })

  it('an existing query is kept exactly as it is when params are added', async () => {
    const { srv, seen } = await echo()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    await (await c.get('/p?x=%20a&y&z=1+2', { params: { k: 'v w', n: 2 } })).release()
    await (await c.get('/p?x=1', { params: 'raw=%41' })).release()
    await (await c.get('/p?', { params: [['a', 'b']] })).release()
    expect(seen.map((s) => s.url)).toEqual(['/p?x=%20a&y&z=1+2&k=v+w&n=2', '/p?x=1&raw=%41', '/p?a=b'])
  })

  it('object values are InvalidArgumentError, not "[object Object]"', async () => {
    const { srv, seen } = await echo()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const bad: unknown[] = [{ a: { b: 1 } }, { a: [1, { b: 2 }] }, [['a', { b: 1 }]], { f: () => 1 }, [['only-one']]]
    for (const params of bad) {
      const err = await c.get('/p', { params: params as never }).catch((e: unknown) => e)
      expect(err, JSON.stringify(params)).toBeInstanceOf(InvalidArgumentError)
    }
    expect(seen).toEqual([])
  })
})

describe('client-level auth', () => {
  it('is sent with every request; a request auth or Authorization header wins', async () => {
    const { srv } = await echo()
    const c = using(new HTTPClient({ baseUrl: srv.url, auth: { username: 'client', password: 'pw' } }))
    const basic = (s: string) => 'Basic ' + Buffer.from(s).toString('base64')
    const got = async (opts: object) => ((await (await c.get('/a', opts)).json()) as { authorization: string | null }).authorization
    expect(await got({})).toBe(basic('client:pw'))
    expect(await got({ auth: 'me:secret' })).toBe(basic('me:secret'))
    expect(await got({ headers: { Authorization: 'Bearer t' } })).toBe('Bearer t')
    expect(await got({ headers: { Authorization: 'Bearer t' }, auth: 'me:x' })).toBe('Bearer t')
    const s = using(new HTTPClient({ baseUrl: srv.url, auth: 'user:pass' }))
    expect(((await (await s.get('/a')).json()) as { authorization: string }).authorization).toBe(basic('user:pass'))
    expect(() => new HTTPClient({ auth: 'no-colon' })).toThrow(InvalidArgumentError)
  })

  it('follows a same-origin redirect, is not sent to another origin', async () => {
    const a = await echo()
    const b = await echo()
    const c = using(new HTTPClient({ auth: 'user:pass', baseUrl: a.srv.url }))
    await (await c.get('/to', { params: { url: '/same' }, follow: true })).release()
    await (await c.get('/to', { params: { url: `${b.srv.url}/other` }, follow: true })).release()
    expect(a.seen.map((s) => [s.url.split('?')[0], s.headers.authorization !== undefined])).toEqual([
      ['/to', true],
      ['/same', true],
      ['/to', true],
    ])
    expect(b.seen.map((s) => [s.url, s.headers.authorization])).toEqual([['/other', undefined]])
  })
})

describe('cookies as a plain object', () => {
  it('on the client and per request, in one Cookie header', async () => {
    const { srv, seen } = await echo()
    const c = using(new HTTPClient({ baseUrl: srv.url, cookies: { session: 'abc', n: 1 } }))
    await (await c.get('/c')).release()
    await (await c.get('/c', { cookies: { extra: 'x' } })).release()
    await (await c.get('/c', { headers: { cookie: 'mine=1' }, cookies: { more: '2' } })).release()
    expect(seen.map((s) => s.headers.cookie)).toEqual(['session=abc; n=1', 'session=abc; n=1; extra=x', 'mine=1; more=2'])
    const plain = using(new HTTPClient({ baseUrl: srv.url }))
    await (await plain.get('/c', { cookies: { only: 'me' } })).release()
    expect(seen[3]!.headers.cookie).toBe('only=me')
  })

  it('with a jar: the jar cookies join the same Cookie header', async () => {
    const srv = using(
      await httpServer((req, res) => {
        if (req.url === '/set') res.setHeader('set-cookie', 'fromjar=yes; Path=/')
        res.end(JSON.stringify({ cookie: req.headers.cookie ?? null, raw: req.rawHeaders.filter((h) => h.toLowerCase() === 'cookie').length }))
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url, handleCookies: true, cookies: { given: '1' } }))
    await (await c.get('/set')).release()
    expect(await (await c.get('/see')).json()).toEqual({ cookie: 'given=1; fromjar=yes', raw: 1 })
  })

  it('a value that cannot be sent is InvalidArgumentError', async () => {
    expect(() => new HTTPClient({ cookies: { a: 'x;y' } })).toThrow(InvalidArgumentError)
    expect(() => new HTTPClient({ cookies: { 'bad name': 'x' } })).toThrow(InvalidArgumentError)
    expect(() => new HTTPClient({ cookies: { a: { b: 1 } as unknown as string } })).toThrow(InvalidArgumentError)
    const c = using(new HTTPClient())
    await expect(c.get('http://127.0.0.1:1/', { cookies: { a: 'b c' } })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('waitRequests()', () => {
  it('also waits for a body still being read', async () => {
    let finish: () => void = () => {}
    const srv = using(
      await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('first ')
        finish = () => res.end('last')
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const res = await c.get('/slow')
    expect(c.pendingRequests).toBe(0)
    const text = res.text()
    expect(await c.waitRequests(100)).toBe(false)
    const waiting = c.waitRequests(10_000)
    await sleep(20)
    finish()
    expect(await waiting).toBe(true)
    expect(await text).toBe('first last')
  })

  it('a streamed body counts until its end; a body never touched does not count', async () => {
    let finish: () => void = () => {}
    const srv = using(
      await httpServer((req, res) => {
        res.writeHead(200)
        if (req.url === '/idle') return res.end('x')
        res.write('a')
        finish = () => res.end('b')
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const idle = await c.get('/idle')
    expect(await c.waitRequests(1000)).toBe(true)
    const res = await c.get('/stream')
    const it = res.readChunks()
    expect((await it.next()).value).toBeDefined()
    expect(await c.waitRequests(100)).toBe(false)
    finish()
    for (let r = await it.next(); !r.done; r = await it.next());
    expect(await c.waitRequests(1000)).toBe(true)
    await idle.release()
  })
})

describe('json() on a body that is not JSON', () => {
  it('→ InvalidArgumentError with the status and a preview, the SyntaxError as cause', async () => {
    const long = '<html>' + 'x'.repeat(1000) + '</html>'
    const srv = using(
      await httpServer((req, res) => {
        res.writeHead(req.url === '/long' ? 502 : 200, { 'content-type': 'application/json' })
        res.end(req.url === '/long' ? long : '{"a": nope}')
      }),
    )
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const err = (await (await c.get('/short')).json().catch((e: unknown) => e)) as InvalidArgumentError
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err).toBeInstanceOf(SonicError)
    expect(err.message).toContain('status 200')
    expect(err.message).toContain('{\\"a\\": nope}')
    expect(err.cause).toBeInstanceOf(SyntaxError)
    expect(err.url).toBe(`${srv.url}/short`)
    const long2 = (await (await c.get('/long')).json().catch((e: unknown) => e)) as InvalidArgumentError
    expect(long2.message).toContain('status 502')
    expect(long2.message).toContain('<html>xxx')
    expect(long2.message).not.toContain('</html>')
    expect(long2.message.length).toBeLessThan(400)
    // A decoder's own error is left as it is.
    const own = new RangeError('mine')
    const res = await c.get('/short')
    expect(
      await res
        .json(() => {
          throw own
        })
        .catch((e: unknown) => e),
    ).toBe(own)
  })
})

describe('maxHeaderSize on the client', () => {
  it('goes to the connector the client makes; over it → ResponseTooLargeError', async () => {
    const srv = using(
      await httpServer((_req, res) => {
        res.setHeader('x-big', 'b'.repeat(2000))
        res.end('ok')
      }),
    )
    const small = using(new HTTPClient({ baseUrl: srv.url, maxHeaderSize: 1024 }))
    const err = await small.get('/').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as ResponseTooLargeError).limit).toBe(1024)
    expect((err as ResponseTooLargeError).part).toBe('head')
    const dflt = using(new HTTPClient({ baseUrl: srv.url }))
    expect(await (await dflt.get('/')).text()).toBe('ok')
    expect(() => new HTTPClient({ maxHeaderSize: 0 })).toThrow(InvalidArgumentError)
    const connector = new TCPConnector()
    expect(() => new HTTPClient({ connector, maxHeaderSize: 1024 })).toThrow(InvalidArgumentError)
    await connector.close()
  })
})

describe('decompress: false', () => {
  it('leaves bodies encoded, on the client and per request', async () => {
    const plain = Buffer.from('hello, '.repeat(100))
    const gz = zlib.gzipSync(plain)
    const srv = using(
      await httpServer((req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip', 'x-accept': String(req.headers['accept-encoding']) })
        res.end(gz)
      }),
    )
    const raw = using(new HTTPClient({ baseUrl: srv.url, decompress: false }))
    const r1 = await raw.get('/')
    expect(r1.headers.get('content-encoding')).toBe('gzip')
    expect(Buffer.from(await r1.bytes()).equals(gz)).toBe(true)
    const r2 = await raw.get('/', { decompress: true })
    expect(Buffer.from(await r2.bytes()).equals(plain)).toBe(true)
    const dflt = using(new HTTPClient({ baseUrl: srv.url }))
    const r3 = await dflt.get('/', { decompress: false })
    expect(Buffer.from(await r3.bytes()).equals(gz)).toBe(true)
    const r4 = await dflt.get('/')
    expect(r4.headers.get('x-accept')).toContain('gzip')
    expect(await r4.text()).toBe(plain.toString())
    expect(() => new HTTPClient({ decompress: 'no' as unknown as boolean })).toThrow(InvalidArgumentError)
  })
})

describe('a 1 GiB gzip bomb streamed by a server', () => {
  // 1 GiB of zeros as gzip (~1 MiB): 1024 identical full-flushed deflate segments of 1 MiB each,
  // then the final block and the real CRC-32 and size, so the body is valid to its end.
  const MiB = 1024 * 1024
  const segment = zlib.deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH })
  const SEGMENTS = 1024
  let crc = 0
  const zeros = Buffer.alloc(MiB)
  for (let i = 0; i < SEGMENTS; i++) crc = zlib.crc32(zeros, crc)
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc >>> 0, 0)
  trailer.writeUInt32LE((SEGMENTS * MiB) % 2 ** 32, 4)

  async function bombServer() {
    return using(
      await httpServer((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/octet-stream' })
        let i = 0
        const more = (): void => {
          if (i === 0) res.write(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]))
          while (i < SEGMENTS) {
            i++
            if (!res.write(segment)) return void res.once('drain', more)
          }
          res.end(Buffer.concat([Buffer.from([3, 0]), trailer]))
        }
        res.on('close', () => (i = SEGMENTS))
        more()
      }),
    )
  }

  it('is valid gzip (a small one made the same way decodes to zeros)', () => {
    const three = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]), segment, segment, segment, Buffer.from([3, 0]), (() => {
      const t = Buffer.alloc(8)
      let c = 0
      for (let i = 0; i < 3; i++) c = zlib.crc32(zeros, c)
      t.writeUInt32LE(c >>> 0, 0)
      t.writeUInt32LE(3 * MiB, 4)
      return t
    })()])
    const out = zlib.gunzipSync(three)
    expect(out.length).toBe(3 * MiB)
    expect(segment.length * SEGMENTS).toBeLessThan(2 * MiB)
  })

  it('bytes() and readChunks() stop with ResponseTooLargeError, RSS stays bounded', async () => {
    const srv = await bombServer()
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const before = process.memoryUsage().rss
    let peak = before
    const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
    try {
      const err = await (await c.get('/bomb')).bytes().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ResponseTooLargeError)
      expect((err as Error).message).toContain('maxDecompressionRatio')
      let decoded = 0
      const err2 = await (async () => {
        for await (const chunk of (await c.get('/bomb')).readChunks()) decoded += chunk.length
      })().catch((e: unknown) => e)
      expect(err2).toBeInstanceOf(ResponseTooLargeError)
      expect(decoded).toBeLessThan(64 * MiB)
      peak = Math.max(peak, process.memoryUsage().rss)
    } finally {
      clearInterval(watch)
    }
    // Bounded: a few MiB decoded at most, far from the 1 GiB the body holds.
    expect(peak - before).toBeLessThan(160 * MiB)
    // The client still works (the bomb's connections were discarded, not leaked).
    const ok = using(await httpServer((_req, res) => res.end('fine')))
    expect(await (await c.get(`${ok.url}/`)).text()).toBe('fine')
  }, 30_000)

  it('with maxResponseSize: stopped at that many decoded bytes', async () => {
    const srv = await bombServer()
    const c = using(new HTTPClient({ baseUrl: srv.url, maxDecompressionRatio: null, maxResponseSize: 4 * MiB }))
    const err = (await (await c.get('/bomb')).bytes().catch((e: unknown) => e)) as ResponseTooLargeError
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect(err.limit).toBe(4 * MiB)
  }, 30_000)
})
