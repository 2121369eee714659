import { describe, expect, it } from 'vitest'
import { parseEventStream } from './parse-event-stream.js'

const te = new TextEncoder()

describe('parseEventStream', () => {
  it('yields the events of an async iterable of chunks', async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield te.encode('\uFEFFid: 1\nevent: a\ndata: x')
      yield te.encode('\r')
      yield te.encode('\n\r\ndata: y\n\ndata: incomplete\n')
    }
    const events = []
    for await (const ev of parseEventStream(source())) events.push(ev)
    expect(events).toStrictEqual([
      { event: 'a', data: 'x', id: '1' },
      { event: 'message', data: 'y', id: '1' },
    ])
  })

  it('reads a web ReadableStream such as a fetch body', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(te.encode('data: 世'))
        c.enqueue(te.encode('界\n\n'))
        c.close()
      },
    })
    const events = []
    for await (const ev of parseEventStream(stream)) events.push(ev.data)
    expect(events).toEqual(['世界'])
  })

  it('passes onRetry and onComment to the parser', async () => {
    const retries: number[] = []
    const comments: string[] = []
    async function* source(): AsyncGenerator<Uint8Array> {
      yield te.encode(': hi\nretry: 250\ndata: x\n\n')
    }
    const out = []
    for await (const ev of parseEventStream(source(), { onRetry: (ms) => retries.push(ms), onComment: (c) => comments.push(c) })) out.push(ev)
    expect(out).toStrictEqual([{ event: 'message', data: 'x', id: '', retry: 250 }])
    expect(retries).toEqual([250])
    expect(comments).toEqual(['hi'])
  })

  it('pulls the next chunk only after the events of the last one were consumed', async () => {
    let pulled = 0
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 5; i++) {
        pulled++
        yield te.encode(`data: ${i}a\n\ndata: ${i}b\n\n`)
      }
    }
    const it = parseEventStream(source())
    expect((await it.next()).value?.data).toBe('0a')
    expect(pulled).toBe(1)
    expect((await it.next()).value?.data).toBe('0b')
    expect(pulled).toBe(1)
    expect((await it.next()).value?.data).toBe('1a')
    expect(pulled).toBe(2)
    await it.return()
  })

  it('closes the source when the consumer stops early', async () => {
    let closed = false
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 1000; i++) yield te.encode(`data: ${i}\n\n`)
      } finally {
        closed = true
      }
    }
    for await (const ev of parseEventStream(source())) if (ev.data === '3') break
    expect(closed).toBe(true)
  })

  it('cancels a ReadableStream when the consumer stops early', async () => {
    let cancelled = false
    let i = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(te.encode(`data: ${i++}\n\n`))
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const ev of parseEventStream(stream)) if (ev.data === '2') break
    expect(cancelled).toBe(true)
  })

  it('propagates an error of the source', async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield te.encode('data: a\n\n')
      throw new Error('boom')
    }
    const seen: string[] = []
    await expect(async () => {
      for await (const ev of parseEventStream(source())) seen.push(ev.data)
    }).rejects.toThrow('boom')
    expect(seen).toEqual(['a'])
  })

  it('rejects a source that is not a byte stream', async () => {
    await expect(parseEventStream(42 as never).next()).rejects.toThrow(TypeError)
  })
})
