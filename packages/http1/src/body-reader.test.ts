// The reader on its own, with a recording stand-in for the connection side.
import { constants as bufferConstants } from 'node:buffer'
import { BodyUsedError, HttpHeaders, ResponseTooLargeError } from '@sonic/core'
import { describe, expect, test } from 'vitest'
import { HIGH_WATER_MARK, Http1BodyReader, type BodySource } from './body-reader.js'

function setup(length: number | null = null) {
  const calls = { resume: 0, discard: 0 }
  const source: BodySource = {
    resume: () => void calls.resume++,
    discard: () => {
      calls.discard++
      return Promise.resolve()
    },
  }
  return { reader: new Http1BodyReader(source, length), calls }
}

describe('Http1BodyReader', () => {
  test('queued chunks are read in order, then null at the end', async () => {
    const { reader } = setup(6)
    expect(reader.length).toBe(6)
    const a = new Uint8Array([1, 2, 3])
    reader.push(a)
    reader.push(new Uint8Array([4, 5, 6]))
    reader.end()
    expect(await reader.read()).toBe(a)
    expect(await reader.read()).toEqual(new Uint8Array([4, 5, 6]))
    expect(await reader.read()).toBeNull()
    expect(reader.done).toBe(true)
  })

  test('trailers: null while chunks wait unread, set once read() reached the end (and with readAll())', async () => {
    const trailers = HttpHeaders.fromFlat(['X-Checksum', 'abc'])
    const { reader } = setup()
    reader.push(new Uint8Array([1]))
    reader.push(new Uint8Array([2]))
    reader.end(trailers)
    expect(reader.trailers).toBeNull()
    await reader.read()
    expect(reader.trailers).toBeNull()
    await reader.read()
    expect(reader.trailers).toBe(trailers)
    expect(await reader.read()).toBeNull()
    expect(reader.trailers).toBe(trailers)

    const all = setup()
    all.reader.push(new Uint8Array([3]))
    const whole = all.reader.readAll()
    all.reader.end(trailers)
    expect(await whole).toEqual(new Uint8Array([3]))
    expect(all.reader.trailers).toBe(trailers)

    const none = setup()
    none.reader.end()
    expect(await none.reader.read()).toBeNull()
    expect(none.reader.trailers).toBeNull()

    const failed = setup()
    failed.reader.fail(new Error('boom'))
    failed.reader.end(trailers)
    expect(failed.reader.trailers).toBeNull()
  })

  test('a pending read gets the next chunk directly', async () => {
    const { reader } = setup()
    const pending = reader.read()
    const chunk = new Uint8Array([9])
    reader.push(chunk)
    expect(await pending).toBe(chunk)
    expect(reader.bufferedBytes).toBe(0)
  })

  test('push reports a full queue past HIGH_WATER_MARK; reading below half resumes the source once', async () => {
    const { reader, calls } = setup()
    const piece = new Uint8Array(64 * 1024)
    let accepted = 0
    while (reader.push(piece)) accepted++
    expect(accepted * piece.length).toBeLessThan(HIGH_WATER_MARK)
    expect(reader.bufferedBytes).toBeGreaterThanOrEqual(HIGH_WATER_MARK)
    while (reader.bufferedBytes > HIGH_WATER_MARK / 2) await reader.read()
    expect(calls.resume).toBe(1)
    await reader.read()
    expect(calls.resume).toBe(1)
  })

  test('readAll: no copy for one chunk, one concatenation for several, empty for none', async () => {
    const one = setup()
    const only = new Uint8Array([1, 2])
    one.reader.push(only)
    one.reader.end()
    expect(await one.reader.readAll()).toBe(only)

    const many = setup()
    const all = many.reader.readAll()
    for (let i = 0; i < 5; i++) expect(many.reader.push(new Uint8Array(100_000).fill(i))).toBe(true) // no backpressure while collecting
    many.reader.end()
    const bytes = await all
    expect(bytes.byteLength).toBe(500_000)
    expect(bytes[0]).toBe(0)
    expect(bytes[499_999]).toBe(4)

    const none = setup()
    none.reader.end()
    expect((await none.reader.readAll()).byteLength).toBe(0)
  })

  test('failure rejects the pending read, later reads and readAll', async () => {
    const { reader } = setup()
    const pending = reader.read()
    const err = new Error('boom')
    reader.fail(err)
    await expect(pending).rejects.toBe(err)
    await expect(reader.read()).rejects.toBe(err)
    await expect(reader.readAll()).rejects.toBe(err)
  })

  test('two reads at once → BodyUsedError', async () => {
    const { reader } = setup()
    const first = reader.read()
    await expect(reader.read()).rejects.toBeInstanceOf(BodyUsedError)
    await expect(reader.readAll()).rejects.toBeInstanceOf(BodyUsedError)
    reader.end()
    expect(await first).toBeNull()
  })

  test('cancel drops the queue and asks the source to discard once; after the end it does not', async () => {
    const { reader, calls } = setup()
    reader.push(new Uint8Array(10))
    const pending = Promise.all([reader.cancel(), reader.cancel()])
    await pending
    expect(calls.discard).toBe(1)
    expect(reader.bufferedBytes).toBe(0)
    expect(await reader.read()).toBeNull()
    reader.push(new Uint8Array(1))
    expect(await reader.read()).toBeNull()

    const ended = setup()
    ended.reader.end()
    await ended.reader.cancel()
    expect(ended.calls.discard).toBe(0)
  })
})

describe('readAll into a buffer of the known length', () => {
  function source(): BodySource {
    return { resume() {}, discard: () => Promise.resolve() }
  }

  test('chunks queued before and pushed after readAll() end up in order in one buffer', async () => {
    const size = 200 * 1024
    const reader = new Http1BodyReader(source(), size)
    const data = Buffer.alloc(size)
    for (let i = 0; i < size; i++) data[i] = i % 251
    reader.push(data.subarray(0, 1000))
    reader.push(data.subarray(1000, 70_000))
    const all = reader.readAll()
    for (let off = 70_000; off < size; off += 65_536) reader.push(data.subarray(off, Math.min(off + 65_536, size)))
    reader.end()
    const got = await all
    expect(got.byteLength).toBe(size)
    expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), data)).toBe(0)
    // One buffer of the final size, not one of the pushed views.
    expect(got.buffer).not.toBe(data.buffer)
  })

  test('a failure during the fill rejects readAll()', async () => {
    const reader = new Http1BodyReader(source(), 100_000)
    const all = reader.readAll()
    reader.push(new Uint8Array(10))
    reader.fail(new Error('boom'))
    await expect(all).rejects.toThrow('boom')
  })

  // issue 17, defect 5: a declared length is not trusted for the allocation.
  test('readAll does not reserve a huge declared length up front', async () => {
    const { reader } = setup(1024 * 1024 * 1024)
    const before = process.memoryUsage().arrayBuffers
    const all = reader.readAll()
    reader.push(new Uint8Array(1024 * 1024))
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024)
    reader.fail(new Error('gone'))
    await expect(all).rejects.toThrow('gone')
  })

  test('readAll grows its buffer as bytes arrive and returns them exactly', async () => {
    const size = 40 * 1024 * 1024 + 123
    const { reader } = setup(size)
    const all = reader.readAll()
    const expected = Buffer.allocUnsafe(size)
    for (let off = 0; off < size; off += 1024 * 1024) {
      const chunk = new Uint8Array(Math.min(1024 * 1024, size - off)).fill((off >>> 20) & 0xff)
      expected.set(chunk, off)
      reader.push(chunk)
    }
    reader.end()
    const got = await all
    expect(got.byteLength).toBe(size)
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(expected)).toBe(true)
  })

  test('a declared length beyond what a buffer can hold is a ResponseTooLargeError, not a RangeError', async () => {
    const length = bufferConstants.MAX_LENGTH + 1
    const { reader } = setup(length)
    const err = await reader.readAll().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as ResponseTooLargeError).part).toBe('body')
  })
})
