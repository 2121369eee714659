// Streaming a 200 MB file must not grow the process's memory by more than a few MB: chunks are
// bounded and nothing keeps them once written. The file is sparse (fs.truncate), so making it
// is instant; the bytes go through a real http server on loopback that counts and discards them.
import { closeSync, openSync, ftruncateSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultipartForm } from '../src/index.js'
import { tempDir } from './helpers/files.js'
import { postWithHttp, startCountingServer, type CountingServer } from './helpers/servers.js'

const SIZE = 200 * 1024 * 1024
const MiB = 1024 * 1024
const gc = (globalThis as { gc?: () => void }).gc

let server: CountingServer
let tmp: ReturnType<typeof tempDir>
let path: string
let warmupPath: string

function sparseFile(name: string, size: number): string {
  const p = `${tmp.dir}/${name}`
  const fd = openSync(p, 'w')
  ftruncateSync(fd, size)
  closeSync(fd)
  return p
}

beforeAll(async () => {
  server = await startCountingServer()
  tmp = tempDir()
  path = sparseFile('big.bin', SIZE)
  warmupPath = sparseFile('warmup.bin', 64 * MiB)
})

afterAll(async () => {
  await server.close()
  tmp.remove()
})

function collect(): void {
  gc?.()
  gc?.()
}

interface Measured {
  sent: number
  maxChunk: number
  /**
   * rss and arrayBuffers growth over the baseline, sampled every 8 MiB sent. A gc runs every
   * 2 MiB: then freed chunks are returned promptly and rss shows what is held, not garbage
   * waiting for V8's next collection.
   */
  rss: number[]
  buffers: number[]
}

/** Uploads `form` to the counting server, sampling memory as it goes. */
async function upload(form: MultipartForm): Promise<Measured> {
  const size = await form.getBodySize()
  collect()
  const base = process.memoryUsage()
  const out: Measured = { sent: 0, maxChunk: 0, rss: [], buffers: [] }
  let nextGc = 2 * MiB
  async function* measured(): AsyncGenerator<Uint8Array> {
    for await (const chunk of form.stream()) {
      out.sent += chunk.byteLength
      if (chunk.byteLength > out.maxChunk) out.maxChunk = chunk.byteLength
      if (out.sent >= nextGc) {
        nextGc += 2 * MiB
        collect()
        if (nextGc % (8 * MiB) === 0) {
          const m = process.memoryUsage()
          out.rss.push(m.rss - base.rss)
          out.buffers.push(m.arrayBuffers - base.arrayBuffers)
        }
      }
      yield chunk
    }
  }
  const res = await postWithHttp(server.url, form.getHeaders(size), measured())
  expect(res.body).toBe(String(size))
  expect(out.sent).toBe(size)
  return out
}

describe('memory', () => {
  it('streams a 200 MB file with only a few MB of growth', async () => {
    expect(gc, 'the suite runs with --expose-gc (vitest.config.ts)').toBeTypeOf('function')
    // Warm up with a 64 MB upload first, so the baseline below measures what streaming holds,
    // not one-time costs: JIT, sockets, and the malloc arenas that keep the pages of freed chunks.
    await upload(new MultipartForm().addField('x', 'y').addFile('file', warmupPath))
    const form = new MultipartForm().addField('name', 'big').addFile('file', path)
    expect(await form.getBodySize()).toBeGreaterThan(SIZE)
    const m = await upload(form)
    expect(server.counts.at(-1)).toBe(m.sent)
    expect(m.maxChunk).toBeLessThanOrEqual(64 * 1024)
    const peakRss = Math.max(...m.rss)
    const peakBuffers = Math.max(...m.buffers)
    const drift = m.rss.at(-1)! - m.rss[0]!
    console.log(
      `200 MB upload: peak growth rss ${(peakRss / MiB).toFixed(1)} MiB, arrayBuffers ${(peakBuffers / MiB).toFixed(2)} MiB, ` +
        `rss drift first→last sample ${(drift / MiB).toFixed(1)} MiB (${m.rss.length} samples)`,
    )
    // Were the file buffered whole, each would grow by ~200 MB.
    expect(peakBuffers).toBeLessThan(4 * MiB)
    expect(peakRss).toBeLessThan(16 * MiB)
    expect(Math.abs(drift)).toBeLessThan(8 * MiB)
  })
})
