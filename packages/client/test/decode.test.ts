// Compressed bodies that are stopped early or do not decode: the connection is released, the
// error is typed (issue 17, defects 1 and 4).
import { randomBytes } from 'node:crypto'
import type http from 'node:http'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HTTPClient, HttpParserError, TCPConnector } from '../src/index.js'
import { httpServer, type Running } from './helpers.js'

// Random bytes do not compress, so the encoded body stays about 1 MiB: many socket reads.
const plain = randomBytes(1 << 20)
const bodies: Record<string, Buffer> = {
  gzip: gzipSync(plain),
  deflate: deflateSync(plain),
  br: brotliCompressSync(plain),
}
const good = gzipSync(Buffer.from('fine '.repeat(100)))
// A valid gzip header and a deflate stream cut and then filled with garbage.
const corrupt = Buffer.concat([bodies.gzip!.subarray(0, 200_000), Buffer.alloc(200_000, 0xff)])

let srv: Running<http.Server>
let connections = 0

beforeAll(async () => {
  srv = await httpServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    const enc = url.pathname.slice(1)
    if (enc === 'corrupt' || enc === 'corrupt-small') {
      const body = enc === 'corrupt' ? corrupt : Buffer.from('not gzip at all')
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length })
      res.end(body)
      return
    }
    if (enc === 'good') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': good.length })
      res.end(good)
      return
    }
    const body = bodies[enc]!
    res.writeHead(200, { 'content-encoding': enc, 'content-length': body.length })
    res.end(body)
  })
  srv.server.on('connection', () => connections++)
})
afterAll(() => srv.close())

function oneConnectionClient(): HTTPClient {
  return new HTTPClient({
    baseUrl: srv.url,
    connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } }, timeouts: { poolAcquire: 2000 } }),
  })
}

/** The next request on a pool of one gets a connection: the previous one was released. */
async function expectPoolFree(c: HTTPClient): Promise<void> {
  expect(await (await c.get('/good')).text()).toBe('fine '.repeat(100))
}

describe('stopping early on a compressed body', () => {
  it.each(['gzip', 'deflate', 'br'])('breaking out of readChunks() releases the connection (%s)', async (enc) => {
    await using c = oneConnectionClient()
    const res = await c.get('/' + enc)
    let got = 0
    for await (const chunk of res.readChunks()) {
      got += chunk.length
      break
    }
    expect(got).toBeGreaterThan(0)
    await expectPoolFree(c)
  })

  it('cancelling res.body after a chunk releases the connection', async () => {
    await using c = oneConnectionClient()
    const res = await c.get('/gzip')
    const reader = res.body.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    await reader.cancel()
    await expectPoolFree(c)
  })

  it('release() after a chunk of res.body releases the connection', async () => {
    await using c = oneConnectionClient()
    const res = await c.get('/br')
    const reader = res.body.getReader()
    expect((await reader.read()).done).toBe(false)
    reader.releaseLock()
    await res.release()
    await expectPoolFree(c)
  })

  it('reading the whole stream still gives the exact bytes', async () => {
    await using c = oneConnectionClient()
    const parts: Buffer[] = []
    for await (const chunk of (await c.get('/deflate')).readChunks()) parts.push(Buffer.from(chunk))
    expect(Buffer.concat(parts).equals(plain)).toBe(true)
    await expectPoolFree(c)
  })
})

describe('a body that does not decode', () => {
  it('bytes() rejects with HttpParserError carrying the zlib error', async () => {
    await using c = oneConnectionClient()
    const err = await (await c.get('/corrupt-small')).bytes().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpParserError)
    expect((err as HttpParserError).llhttpCode).toBe('HPE_BAD_CONTENT_ENCODING')
    expect((err as Error).message).toContain('gzip')
    expect((err as Error).cause).toBeInstanceOf(Error)
    expect((err as { cause: { code?: string } }).cause.code).toMatch(/^Z_/)
    await expectPoolFree(c)
  })

  it('text() and json() reject the same way', async () => {
    await using c = oneConnectionClient()
    expect(await (await c.get('/corrupt')).text().catch((e: unknown) => e)).toBeInstanceOf(HttpParserError)
    expect(await (await c.get('/corrupt-small')).json().catch((e: unknown) => e)).toBeInstanceOf(HttpParserError)
    await expectPoolFree(c)
  })

  it('readChunks() rejects with HttpParserError and the connection is discarded, not reused', async () => {
    await using c = oneConnectionClient()
    await expectPoolFree(c)
    const before = connections
    const res = await c.get('/corrupt')
    let err: unknown = null
    try {
      for await (const _ of res.readChunks()) {
        // read on until the decoder fails
      }
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(HttpParserError)
    expect((err as HttpParserError).llhttpCode).toBe('HPE_BAD_CONTENT_ENCODING')
    expect((err as Error).cause).toBeInstanceOf(Error)
    await expectPoolFree(c)
    expect(connections).toBe(before + 1)
  })
})
