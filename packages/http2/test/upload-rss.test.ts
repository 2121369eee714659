// A 100 MB upload over one HTTP/2 stream in bounded memory. The body is a StreamBody generating
// fresh 64 KiB chunks as they are pulled, so anything the upload keeps — writes that ignore the
// stream's flow control, chunks held after they were written — shows as RSS growth. The server
// runs in a child process (its memory is not ours), reads slowly (it pauses 30 ms every 2 MiB, so
// its window fills and HTTP/2 flow control pushes back), checks every byte and answers what it
// found. RSS is sampled every 5 ms against a baseline taken after a warm-up and a gc: the growth
// must stay under 32 MB. A gc runs every 8 MiB generated so the samples show what the upload
// holds, not dead chunks V8 has not collected yet (see packages/client/test/multipart-rss.test.ts).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StreamBody } from '@sonic/core'
import type { Http2Connection } from '../src/index.js'
import { connectTo, makeRequest, text } from './helpers.js'

const MiB = 1024 * 1024
const SIZE = 100 * MiB
const CHUNK = 64 * 1024
const LIMIT = 32 * MiB

const gc: (() => void) | null = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed !== undefined) return exposed
  try {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  } catch {
    return null
  }
})()

const SOURCE_PATTERN = 'const pattern = (i) => (i ^ (i >>> 8) ^ (i >>> 17)) & 0xff'
const pattern = (i: number): number => (i ^ (i >>> 8) ^ (i >>> 17)) & 0xff

function generated(size: number, collect: boolean): StreamBody {
  return {
    length: size,
    replayable: false,
    async *stream() {
      for (let at = 0; at < size; ) {
        const n = Math.min(CHUNK, size - at)
        const chunk = Buffer.allocUnsafe(n)
        for (let i = 0; i < n; i++) chunk[i] = pattern(at + i)
        at += n
        if (collect && at % (8 * MiB) === 0) gc?.()
        yield chunk
      }
    },
  }
}

const SERVER = `
const http2 = require('node:http2')
${SOURCE_PATTERN}
const server = http2.createServer()
server.on('stream', (stream) => {
  let total = 0, bad = -1, since = 0
  stream.on('data', (chunk) => {
    for (let i = 0; i < chunk.length; i++) if (bad < 0 && chunk[i] !== pattern(total + i)) bad = total + i
    total += chunk.length
    since += chunk.length
    if (since >= 2 * 1024 * 1024) {
      since = 0
      stream.pause()
      setTimeout(() => stream.resume(), 30)
    }
  })
  stream.on('end', () => {
    stream.respond({ ':status': 200 })
    stream.end(JSON.stringify({ total, bad }))
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
`

let child: ChildProcess
let port = 0
beforeAll(async () => {
  child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [data] = (await once(child.stdout!, 'data')) as [Buffer]
  port = Number(data.toString().trim())
})
afterAll(async () => {
  if (child.exitCode === null) {
    const exited = once(child, 'exit')
    child.kill()
    await exited
  }
})

async function upload(conn: Http2Connection, size: number, collect: boolean): Promise<{ total: number; bad: number }> {
  const res = await conn.request(makeRequest({ method: 'POST', body: generated(size, collect), sockRead: 30000 }))
  return JSON.parse(await text(res.body)) as { total: number; bad: number }
}

describe('HTTP/2 upload memory', () => {
  it('uploads 100 MB through flow control with RSS growth under 32 MB', { timeout: 120_000 }, async () => {
    const conn = await connectTo({ port, origin: `http://127.0.0.1:${port}` })
    try {
      expect(await upload(conn, 4 * MiB, false)).toEqual({ total: 4 * MiB, bad: -1 })
      gc?.()
      const base = process.memoryUsage().rss
      let peak = base
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss)
      }, 5)
      let result: { total: number; bad: number }
      try {
        result = await upload(conn, SIZE, true)
      } finally {
        clearInterval(sampler)
      }
      expect(result).toEqual({ total: SIZE, bad: -1 })
      expect(peak - base).toBeLessThan(LIMIT)
    } finally {
      conn.destroy()
    }
  })
})
