// maxResponseSize and maxDecompressionRatio (issue 17, defect 6): a decompression bomb is
// stopped with ResponseTooLargeError in bounded memory, the connection is not leaked.
import type http from 'node:http'
import { gzipSync, brotliCompressSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HTTPClient, InvalidArgumentError, ResponseTooLargeError, TCPConnector } from '../src/index.js'
import { httpServer, type Running } from './helpers.js'

// 256 MiB of zeros gzip to about 254 KiB: a ratio of about 1030.
const bombSize = 256 * 1024 * 1024
const bomb = gzipSync(Buffer.alloc(bombSize), { level: 9 })
const brBomb = brotliCompressSync(Buffer.alloc(16 * 1024 * 1024))
const text = Buffer.from('x'.repeat(10_000))

let srv: Running<http.Server>
beforeAll(async () => {
  srv = await httpServer((req, res) => {
    if (req.url === '/bomb') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length })
      res.end(bomb)
    } else if (req.url === '/br-bomb') {
      res.writeHead(200, { 'content-encoding': 'br', 'content-length': brBomb.length })
      res.end(brBomb)
    } else if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write(text.subarray(0, 5000))
      res.end(text.subarray(5000))
    } else {
      res.writeHead(200, { 'content-length': text.length })
      res.end(text)
    }
  })
})
afterAll(() => srv.close())

const client = (opts: ConstructorParameters<typeof HTTPClient>[0] = {}): HTTPClient =>
  new HTTPClient({ baseUrl: srv.url, connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } }, timeouts: { poolAcquire: 2000 } }), ...opts })

async function poolStillWorks(c: HTTPClient): Promise<void> {
  expect((await (await c.get('/plain')).bytes()).length).toBe(text.length)
}

describe('maxDecompressionRatio (default 1000)', () => {
  it('bytes() of a gzip bomb fails with ResponseTooLargeError', async () => {
    await using c = client()
    const err = await (await c.get('/bomb')).bytes().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as ResponseTooLargeError).part).toBe('body')
    expect((err as Error).message).toContain('maxDecompressionRatio')
    await poolStillWorks(c)
  })

  it('memory stays near ratio × encoded size, far below the bomb', async () => {
    // ratio 50 allows about 12.5 MiB decoded from the 254 KiB bomb.
    await using c = client({ maxDecompressionRatio: 50 })
    const before = process.memoryUsage().arrayBuffers
    const err = await (await c.get('/bomb')).bytes().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('readChunks() of a gzip bomb stops with ResponseTooLargeError and frees the connection', async () => {
    await using c = client()
    let decoded = 0
    const err = await (async () => {
      for await (const chunk of (await c.get('/bomb')).readChunks()) decoded += chunk.length
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect(decoded).toBeLessThan(bombSize)
    await poolStillWorks(c)
  })

  it('raised or switched off per request, the same body decodes', async () => {
    await using c = client()
    expect((await (await c.get('/bomb', { maxDecompressionRatio: 2000 })).bytes()).length).toBe(bombSize)
    expect((await (await c.get('/bomb', { maxDecompressionRatio: null })).bytes()).length).toBe(bombSize)
  }, 20_000) // two 256 MiB decodes: ~4 s alone, more on a loaded CI machine

  it('brotli is bounded too', async () => {
    await using c = client({ maxDecompressionRatio: 10 })
    expect(await (await c.get('/br-bomb')).bytes().catch((e: unknown) => e)).toBeInstanceOf(ResponseTooLargeError)
    await poolStillWorks(c)
  })
})

describe('maxResponseSize', () => {
  it('a declared length over the limit fails before the body is read', async () => {
    await using c = client({ maxResponseSize: 1000 })
    const err = await (await c.get('/plain')).text().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as ResponseTooLargeError).limit).toBe(1000)
    expect((await (await c.get('/plain', { maxResponseSize: null })).bytes()).length).toBe(text.length)
  })

  it('a chunked body over the limit fails while it streams; under it passes', async () => {
    await using c = client({ maxResponseSize: 6000 })
    expect(await (await c.get('/chunked')).bytes().catch((e: unknown) => e)).toBeInstanceOf(ResponseTooLargeError)
    const err = await (async () => {
      for await (const _ of (await c.get('/chunked')).readChunks());
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((await (await c.get('/chunked', { maxResponseSize: 10_000 })).text()).length).toBe(10_000)
  })

  it('counts decoded bytes of a compressed body', async () => {
    await using c = client({ maxResponseSize: 1024 * 1024, maxDecompressionRatio: null })
    expect(await (await c.get('/bomb')).bytes().catch((e: unknown) => e)).toBeInstanceOf(ResponseTooLargeError)
    await poolStillWorks(c)
  })

  it('bad limits are an InvalidArgumentError', () => {
    expect(() => client({ maxResponseSize: -1 })).toThrow(InvalidArgumentError)
    expect(() => client({ maxDecompressionRatio: 0.5 })).toThrow(InvalidArgumentError)
  })
})

it('a fractional maxDecompressionRatio is accepted and bounds bytes()', async () => {
  await using c = client({ maxDecompressionRatio: 2.5 })
  expect(await (await c.get('/bomb')).bytes().catch((e: unknown) => e)).toBeInstanceOf(ResponseTooLargeError)
  await poolStillWorks(c)
})
