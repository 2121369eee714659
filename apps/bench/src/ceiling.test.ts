import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBenchServer, type BenchServer } from './bench-server.js'
import { chunkedEnd, probe, rawCeiling } from './ceiling.js'
import { SIZE_1M } from './server-responses.js'
import { WORKLOADS, prepareWorkload, rawRequest } from './workloads.js'

let server: BenchServer
let port: number
beforeAll(async () => {
  server = createBenchServer()
  port = (await server.listen()).port
})
afterAll(() => server.close())

describe('chunkedEnd', () => {
  it('finds the end of a complete chunked body, trailers included', () => {
    const body = Buffer.from('HEAD3\r\nabc\r\n0\r\nX: y\r\n\r\nNEXT')
    expect(chunkedEnd(body, 4)).toBe(body.length - 4)
  })
  it('is -1 while the body is incomplete', () => {
    expect(chunkedEnd(Buffer.from('3\r\nab'), 0)).toBe(-1)
    expect(chunkedEnd(Buffer.from('3\r\nabc\r\n0\r\n'), 0)).toBe(-1)
  })
  it('throws on malformed framing', () => {
    expect(() => chunkedEnd(Buffer.from('zz\r\n'), 0)).toThrow(/malformed/)
  })
})

describe('probe', () => {
  it('measures whole answers of content-length and chunked routes', async () => {
    const byName = (n: string) => prepareWorkload(WORKLOADS.find((w) => w.name === n)!, `http://127.0.0.1:${port}`)
    const small = await probe('127.0.0.1', port, rawRequest(byName('small-1')))
    expect(small).toMatchObject({ status: 200, chunked: false })
    expect(small.responseLength).toBeGreaterThan(13)
    expect(small.responseLength).toBeLessThan(200)
    const chunked = await probe('127.0.0.1', port, rawRequest(byName('chunked-1m')))
    expect(chunked.chunked).toBe(true)
    expect(chunked.responseLength).toBeGreaterThan(SIZE_1M)
    const json = await probe('127.0.0.1', port, rawRequest(byName('json-1k')))
    expect(json.responseLength - small.responseLength).toBeGreaterThan(1000)
  })

  it('fails clearly when nothing answers', async () => {
    const closed = net.createServer((s) => s.destroy())
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const p = (closed.address() as net.AddressInfo).port
    await expect(probe('127.0.0.1', p, Buffer.from('GET / HTTP/1.1\r\n\r\n'), 2000)).rejects.toThrow(/closed the connection before a complete answer/)
    await new Promise((r) => closed.close(r))
  })
})

describe('rawCeiling', () => {
  it('counts answers on several connections for the given time', async () => {
    const w = prepareWorkload(WORKLOADS.find((x) => x.name === 'small-50')!, `http://127.0.0.1:${port}`)
    const request = rawRequest(w)
    const { responseLength } = await probe('127.0.0.1', port, request)
    const r = await rawCeiling({ host: '127.0.0.1', port, request, responseLength, connections: 4, durationMs: 100 })
    expect(r.connections).toBe(4)
    expect(r.requests).toBeGreaterThan(4)
    expect(r.elapsedMs).toBeGreaterThanOrEqual(100)
    expect(r.rps).toBeCloseTo((r.requests * 1000) / r.elapsedMs, 6)
  })

  it('rejects when answers are not of the probed length', async () => {
    const w = prepareWorkload(WORKLOADS.find((x) => x.name === 'small-1')!, `http://127.0.0.1:${port}`)
    const request = rawRequest(w)
    const { responseLength } = await probe('127.0.0.1', port, request)
    await expect(
      rawCeiling({ host: '127.0.0.1', port, request, responseLength: responseLength - 1, connections: 1, durationMs: 50 }),
    ).rejects.toThrow(/fixed length/)
  })
})
