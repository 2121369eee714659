// Files added by path are opened only while they are sent and closed in every outcome:
// success, errors (ours, the file system's, the consumer's) and early stops (break, abort,
// a server that hangs up). Checked on the process's real descriptors in /proc/self/fd.
import { truncateSync } from 'node:fs'
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { MultipartForm } from '../src/index.js'
import { fdCount, fdsOpenOn, pseudoRandomBytes, tempDir } from './helpers/files.js'
import { postWithHttp } from './helpers/servers.js'

let tmp: ReturnType<typeof tempDir>
const FILE_SIZE = 1024 * 1024

beforeAll(() => {
  tmp = tempDir()
})

afterAll(() => {
  tmp.remove()
})

/** Waits (a bounded number of times) for the descriptors on `path` to be gone; returns how many remain. */
async function openAfterSettling(path: string): Promise<number> {
  for (let i = 0; i < 50 && fdsOpenOn(path) > 0; i++) await sleep(10)
  return fdsOpenOn(path)
}

describe('file descriptors of path parts', () => {
  it('are not opened before sending, held while sending, and closed after success', async () => {
    const path = tmp.file('ok.bin', pseudoRandomBytes(FILE_SIZE, 1))
    const before = fdCount()
    const form = new MultipartForm().addField('a', 'b').addFile('f', path)
    await form.getBodySize()
    expect(fdsOpenOn(path)).toBe(0)
    let openWhileStreaming = 0
    let total = 0
    let chunks = 0
    for await (const chunk of form.stream()) {
      chunks++
      total += chunk.byteLength
      expect(chunk.byteLength).toBeLessThanOrEqual(64 * 1024)
      if (chunks === 3) openWhileStreaming = fdsOpenOn(path)
    }
    expect(total).toBe(await form.getBodySize())
    expect(openWhileStreaming).toBe(1)
    expect(fdsOpenOn(path)).toBe(0)
    expect(fdCount()).toBe(before)
  })

  it('are closed when the consumer stops early (break → return())', async () => {
    const path = tmp.file('early.bin', pseudoRandomBytes(FILE_SIZE, 2))
    const before = fdCount()
    const form = new MultipartForm().addFile('f', path).addField('after', 'x')
    let seen = 0
    for await (const chunk of form.stream()) {
      seen += chunk.byteLength
      if (seen > 100_000) break
    }
    expect(fdsOpenOn(path)).toBe(0)
    expect(fdCount()).toBe(before)
  })

  it('are closed when the consumer throws into the iterator', async () => {
    const path = tmp.file('throw.bin', pseudoRandomBytes(FILE_SIZE, 3))
    const form = new MultipartForm().addFile('f', path)
    const it = form.stream()[Symbol.asyncIterator]() as AsyncGenerator<Uint8Array>
    await it.next() // head
    await it.next() // first file chunk: the file is open
    expect(fdsOpenOn(path)).toBe(1)
    await expect(it.throw(new Error('consumer failed'))).rejects.toThrow('consumer failed')
    expect(fdsOpenOn(path)).toBe(0)
  })

  it('are closed when the file changed size after the length was computed', async () => {
    const path = tmp.file('shrink.bin', pseudoRandomBytes(FILE_SIZE, 4))
    const before = fdCount()
    const form = new MultipartForm().addFile('f', path)
    expect(await form.getBodySize()).toBeGreaterThan(FILE_SIZE)
    truncateSync(path, 1000)
    const err = await (async () => {
      for await (const _ of form.stream());
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect((err as Error).message).toMatch(/changed size/)
    expect(fdsOpenOn(path)).toBe(0)
    expect(fdCount()).toBe(before)
  })

  it('are closed when reading fails (a directory given as a file)', async () => {
    const before = fdCount()
    const form = new MultipartForm().addFile('dir', tmp.dir)
    expect(await form.getBodySize()).toBeNull()
    const err = await (async () => {
      for await (const _ of form.stream());
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect((err as Error & { cause: NodeJS.ErrnoException }).cause.code).toBe('EISDIR')
    expect(fdsOpenOn(tmp.dir)).toBe(0)
    expect(fdCount()).toBe(before)
  })

  it('are closed when the upload is aborted through an AbortSignal', async () => {
    const path = tmp.file('abort.bin', pseudoRandomBytes(8 * FILE_SIZE, 5))
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.end('done'))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const form = new MultipartForm().addFile('f', path)
      const ac = new AbortController()
      let sent = 0
      async function* abortingAfter1MiB(): AsyncGenerator<Uint8Array> {
        for await (const chunk of form.stream()) {
          sent += chunk.byteLength
          if (sent > FILE_SIZE) ac.abort()
          yield chunk
        }
      }
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
      const err = await postWithHttp(url, form.getHeaders(await form.getBodySize()), abortingAfter1MiB(), ac.signal).catch((e: unknown) => e)
      expect((err as Error).name).toBe('AbortError')
      expect(sent).toBeLessThan(8 * FILE_SIZE)
      expect(await openAfterSettling(path)).toBe(0)
    } finally {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  })

  it('are closed when the server hangs up mid-upload', async () => {
    const path = tmp.file('hangup.bin', pseudoRandomBytes(16 * FILE_SIZE, 6))
    const server = createServer((req) => {
      let n = 0
      req.on('data', (c: Buffer) => {
        n += c.byteLength
        if (n > FILE_SIZE) req.socket.destroy()
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const form = new MultipartForm().addFile('f', path)
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
      const err = await postWithHttp(url, form.getHeaders(await form.getBodySize()), form.stream()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(Error)
      expect(await openAfterSettling(path)).toBe(0)
    } finally {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  })
})
