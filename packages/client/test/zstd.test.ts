// content-encoding: zstd, decoded where node:zlib has it (Node ≥ 22.15 / 23.8) and offered in
// Accept-Encoding only then. On an older Node the other half runs: zstd is not offered and a zstd
// body is left as received. The guard below fails if a Node that has zstd ever skips its half.
import type http from 'node:http'
import zlib from 'node:zlib'
import { createLeakCheck, fromSource } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { HTTPClient, ResponseTooLargeError } from '../src/index.js'
import { httpServer } from './helpers.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()
function using<T extends { close(): Promise<void> }>(x: T): T {
  cleanups.push(() => x.close())
  return x
}

type Zstd = { zstdCompressSync?: (buf: Uint8Array, opts?: object) => Buffer }
const compress = (zlib as unknown as Zstd).zstdCompressSync
const hasZstd = typeof compress === 'function' && typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function'

function nodeAtLeast(major: number, minor: number): boolean {
  const [a, b] = process.versions.node.split('.').map(Number) as [number, number]
  return a > major || (a === major && b >= minor)
}

it('node:zlib has zstd on every Node that should (so the zstd tests never skip there)', () => {
  const should = nodeAtLeast(23, 8) || (process.versions.node.startsWith('22.') && nodeAtLeast(22, 15))
  expect(hasZstd).toBe(should)
})

async function server(body: Buffer, encoding = 'zstd') {
  const seen: http.IncomingHttpHeaders[] = []
  const srv = using(
    await httpServer((req, res) => {
      seen.push(req.headers)
      res.writeHead(200, { 'content-encoding': encoding, 'content-type': 'text/plain' })
      if (req.url === '/slow') {
        res.write(body.subarray(0, 10))
        setTimeout(() => res.end(body.subarray(10)), 10)
      } else res.end(body)
    }),
  )
  return { srv, seen }
}

const text = 'zstd says hello. '.repeat(2000)

describe.runIf(hasZstd)('zstd available (Node ≥ 22.15 / 23.8)', () => {
  it('is offered in Accept-Encoding and decoded by bytes(), text() and readChunks()', async () => {
    const { srv, seen } = await server(compress!(Buffer.from(text)))
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    expect(await (await c.get('/')).text()).toBe(text)
    expect(String(seen[0]!['accept-encoding'])).toContain('zstd')
    let streamed = ''
    for await (const chunk of (await c.get('/slow')).readChunks()) streamed += Buffer.from(chunk).toString()
    expect(streamed).toBe(text)
    const raw = await c.get('/', { decompress: false })
    expect(Buffer.from(await raw.bytes()).equals(compress!(Buffer.from(text)))).toBe(true)
  })

  it('a zstd bomb is bounded by maxDecompressionRatio', async () => {
    const { srv } = await server(compress!(Buffer.alloc(64 * 1024 * 1024)))
    const c = using(new HTTPClient({ baseUrl: srv.url, maxDecompressionRatio: 100 }))
    expect(await (await c.get('/')).bytes().catch((e: unknown) => e)).toBeInstanceOf(ResponseTooLargeError)
    let decoded = 0
    const err = await (async () => {
      for await (const chunk of (await c.get('/slow')).readChunks()) decoded += chunk.length
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect(decoded).toBeLessThan(64 * 1024 * 1024)
  }, 20_000)
})

describe.runIf(!hasZstd)('zstd not available (Node < 22.15)', () => {
  it('is not offered, and a zstd body is left as received', async () => {
    // Not real zstd (this node cannot make it): the bytes must come back untouched all the same.
    const body = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    const { srv, seen } = await server(body)
    const c = using(new HTTPClient({ baseUrl: srv.url }))
    const res = await c.get('/')
    expect(Buffer.from(await res.bytes()).equals(body)).toBe(true)
    expect(res.headers.get('content-encoding')).toBe('zstd')
    expect(String(seen[0]!['accept-encoding'])).toBe('gzip, deflate, br')
  })
})
