import { describe, expect, it } from 'vitest'
import { readWebStream } from './web-stream.js'

describe('readWebStream', () => {
  it('yields every chunk in order', async () => {
    const got: string[] = []
    for await (const c of readWebStream(new Blob(['ab', 'cd']).stream())) got.push(Buffer.from(c).toString())
    expect(got.join('')).toBe('abcd')
  })

  it('cancels the stream when the consumer stops early', async () => {
    let cancelled = false
    let n = 0
    const stream = new ReadableStream<number>({
      pull(ctrl) {
        ctrl.enqueue(n++)
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const v of readWebStream(stream)) if (v === 2) break
    expect(cancelled).toBe(true)
    expect(stream.locked).toBe(false)
  })
})
