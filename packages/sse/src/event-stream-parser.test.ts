import { describe, expect, it } from 'vitest'
import { EventStreamParser, type ServerSentEvent } from './event-stream-parser.js'
import { CASES, type ParseCase } from './event-stream-cases.test-data.js'

const te = new TextEncoder()

interface Outcome {
  events: ServerSentEvent[]
  lastEventId: string
  retries: number[]
  comments: string[]
}

function run(chunks: Uint8Array[]): Outcome {
  const out: Outcome = { events: [], lastEventId: '', retries: [], comments: [] }
  const p = new EventStreamParser((ev) => out.events.push(ev), {
    onRetry: (ms) => out.retries.push(ms),
    onComment: (t) => out.comments.push(t),
  })
  for (const c of chunks) p.feed(c)
  p.end()
  out.lastEventId = p.lastEventId
  return out
}

function check(c: ParseCase, out: Outcome, how: string): void {
  expect(out.events, `${c.name} (${how})`).toStrictEqual(c.events)
  expect(out.lastEventId, `${c.name} lastEventId (${how})`).toBe(c.lastEventId ?? '')
  if (c.retries) expect(out.retries, `${c.name} retries (${how})`).toStrictEqual(c.retries)
  if (c.comments) expect(out.comments, `${c.name} comments (${how})`).toStrictEqual(c.comments)
}

describe('EventStreamParser: WHATWG parsing table', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  for (const c of CASES) {
    const input = typeof c.input === 'string' ? te.encode(c.input) : c.input
    it(c.name, () => {
      check(c, run([input]), 'whole')
      // Two pieces at every byte position; the first as a view with an offset, the second a copy.
      const padded = new Uint8Array(input.length + 3)
      padded.set(input, 3)
      const view = padded.subarray(3)
      for (let i = 0; i <= input.length; i++) {
        check(c, run([view.subarray(0, i), input.slice(i)]), `split at ${i}`)
      }
      // Three pieces around every position, the middle one empty.
      for (let i = 0; i <= input.length; i++) {
        check(c, run([input.subarray(0, i), new Uint8Array(0), input.subarray(i)]), `split at ${i} with an empty chunk`)
      }
      const bytes: Uint8Array[] = []
      for (let i = 0; i < input.length; i++) bytes.push(input.subarray(i, i + 1))
      check(c, run(bytes), 'byte by byte')
    })
  }
})

describe('EventStreamParser', () => {
  it('decodes invalid UTF-8 exactly like TextDecoder', () => {
    const samples = [[0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff], [0xc3, 0xa9, 0xff, 0xe2, 0x82, 0xac]]
    for (const s of samples) {
      const line = new Uint8Array([...te.encode('data: <'), ...s, ...te.encode('>\n\n')])
      const expected = new TextDecoder().decode(new Uint8Array([0x3c, ...s, 0x3e]))
      for (let i = 0; i <= line.length; i++) {
        expect(run([line.subarray(0, i), line.subarray(i)]).events[0]!.data).toBe(expected)
      }
    }
  })

  it('dispatches at the blank line, before the chunk ends, in order', () => {
    const seen: string[] = []
    const p = new EventStreamParser((ev) => seen.push(ev.data))
    p.feed(te.encode('data: 1\n\ndata: 2\n\ndata: 3\n'))
    expect(seen).toEqual(['1', '2'])
    p.feed(te.encode('\n'))
    expect(seen).toEqual(['1', '2', '3'])
  })

  it('dispatches on a CR at the end of a chunk without waiting for the next one', () => {
    const seen: string[] = []
    const p = new EventStreamParser((ev) => seen.push(ev.data))
    p.feed(te.encode('data: x\r\r'))
    expect(seen).toEqual(['x'])
    p.feed(te.encode('\ndata: y\n\n')) // that LF pairs with the CR: no extra line
    expect(seen).toEqual(['x', 'y'])
  })

  it('reset() drops the partial event, keeps lastEventId and strips a new BOM', () => {
    const seen: ServerSentEvent[] = []
    const p = new EventStreamParser((ev) => seen.push(ev))
    p.feed(te.encode('id: 9\ndata: a\n\nid: 10\ndata: partial\ndata: li'))
    p.reset()
    expect(p.lastEventId).toBe('9')
    p.feed(te.encode('\uFEFFne\ndata: b\n\n'))
    expect(seen).toStrictEqual([
      { event: 'message', data: 'a', id: '9' },
      { event: 'message', data: 'b', id: '9' },
    ])
  })

  it('starts from the lastEventId option', () => {
    const seen: ServerSentEvent[] = []
    const p = new EventStreamParser((ev) => seen.push(ev), { lastEventId: 'start' })
    expect(p.lastEventId).toBe('start')
    p.feed(te.encode('data: x\n\n'))
    expect(seen[0]!.id).toBe('start')
  })

  it('handles a long line across many chunks and drops it once complete', () => {
    const big = 'x'.repeat(300_000) + 'é'
    const line = te.encode(`data: ${big}\n\ndata: small\n\n`)
    const seen: string[] = []
    const p = new EventStreamParser((ev) => seen.push(ev.data))
    for (let off = 0; off < line.length; off += 1000) p.feed(line.subarray(off, off + 1000))
    expect(seen).toEqual([big, 'small'])
  })

  it('parses a million-byte stream of small events fed in odd-sized chunks', () => {
    const parts: string[] = []
    for (let i = 0; i < 20_000; i++) parts.push(`id: ${i}\r\ndata: {"n":${i},"t":"ü"}\r\n\r\n`)
    const all = te.encode(parts.join(''))
    let count = 0
    let last = ''
    const p = new EventStreamParser((ev) => {
      expect(ev.data).toBe(`{"n":${count},"t":"ü"}`)
      count++
      last = ev.id
    })
    for (let off = 0, step = 1; off < all.length; off += step, step = (step * 7 + 3) % 4093) p.feed(all.subarray(off, off + step))
    p.end()
    expect(count).toBe(20_000)
    expect(last).toBe('19999')
  })

  it('does not decode comments when nobody listens', () => {
    const seen: string[] = []
    const p = new EventStreamParser((ev) => seen.push(ev.data))
    p.feed(te.encode(': ' + 'c'.repeat(100) + '\ndata: x\n\n'))
    expect(seen).toEqual(['x'])
  })

  it('rejects a missing onEvent', () => {
    expect(() => new EventStreamParser(undefined as never)).toThrow(TypeError)
  })
})
