import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { AbortError, ConnectError, InvalidArgumentError, ReadTimeoutError, SonicError } from '@sonic/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SSEClient, SSEResponseError, type ServerSentEvent, type SSEConnection } from '../src/index.js'
import { NodeHttpClient } from './node-http-client.js'
import { startServer, type SSEServer } from './sse-server.js'

/** The engine's gc(), made callable without starting node with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

let server: SSEServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

async function collect(conn: SSEConnection, max = 1000): Promise<ServerSentEvent[]> {
  const out: ServerSentEvent[] = []
  for await (const ev of conn) {
    out.push(ev)
    if (out.length >= max) break
  }
  return out
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

let unique = 0
/** A URL of `path` no other test has used (the server counts reconnections per URL). */
const uniq = (path: string): string => `${server.url}${path}?k=${++unique}`

const clients: Array<[string, () => SSEClient]> = [
  ['fetch adapter', () => new SSEClient()],
  ['node:http client', () => new SSEClient(new NodeHttpClient())],
]

describe.each(clients)('SSEClient over the %s', (_name, make) => {
  it('streams events, sends the SSE headers and ends on a clean end of stream', async () => {
    const before = server.log.length
    const conn = await make().connect(`${server.url}/basic`, { params: { who: 'bob' } })
    expect(conn.readyState).toBe('open')
    const events = await collect(conn)
    expect(events).toStrictEqual([
      { event: 'greet', data: 'hi bob', id: 'a1' },
      { event: 'message', data: 'line1\nline2', id: 'a1' },
      { event: 'message', data: 'é世🎉', id: 'a3' },
    ])
    expect(conn.lastEventId).toBe('a3')
    expect(conn.readyState).toBe('closed')
    const req = server.log[before]!
    expect(req).toMatchObject({ method: 'GET', accept: 'text/event-stream', cacheControl: 'no-cache', lastEventId: undefined })
    expect(server.log.length).toBe(before + 1)
  })

  it('reconnects after a drop mid-event, honours retry: and sends Last-Event-ID', async () => {
    const before = server.log.length
    const conn = await make().connect(uniq('/drop'), { retryDelay: 60_000 }) // only the server's retry: 30 keeps this short
    const events = await collect(conn)
    expect(events.map((e) => [e.data, e.id])).toEqual([
      ['one', '1'],
      ['two', '2'],
    ])
    expect(events[0]!.retry).toBe(30)
    expect(conn.retryDelay).toBe(30)
    const reqs = server.log.slice(before).filter((r) => r.path === '/drop')
    expect(reqs.map((r) => r.lastEventId)).toEqual([undefined, '1'])
  })

  it('sends the lastEventId option on the first request', async () => {
    const before = server.log.length
    const conn = await make().connect(`${server.url}/basic`, { lastEventId: 'resume-7' })
    const events = await collect(conn)
    expect(events).toHaveLength(3)
    expect(server.log[before]!.lastEventId).toBe('resume-7')
  })

  it('stops when a reconnect gets 204', async () => {
    const conn = await make().connect(uniq('/drop-then-204'), { retryDelay: 10 })
    const events = await collect(conn)
    expect(events.map((e) => e.data)).toEqual(['first'])
    expect(conn.readyState).toBe('closed')
  })

  it('throws SSEResponseError from the iterator when a reconnect gets 503', async () => {
    const conn = await make().connect(uniq('/drop-then-503'))
    const seen: string[] = []
    const err = await (async () => {
      for await (const ev of conn) seen.push(ev.data)
    })().catch((e: unknown) => e)
    expect(seen).toEqual(['first'])
    expect(err).toBeInstanceOf(SSEResponseError)
    expect(err).toMatchObject({ code: 'SONIC_SSE_RESPONSE', status: 503, contentType: 'text/plain' })
    expect(conn.readyState).toBe('closed')
  })

  it('does not reconnect a dropped stream when reconnect is false: the error is thrown', async () => {
    const before = server.log.length
    const conn = await make().connect(uniq('/drop'), { reconnect: false })
    const seen: string[] = []
    const err = await (async () => {
      for await (const ev of conn) seen.push(ev.data)
    })().catch((e: unknown) => e)
    expect(seen).toEqual(['one'])
    expect(err).toBeInstanceOf(Error)
    expect(server.log.slice(before).filter((r) => r.path === '/drop')).toHaveLength(1)
  })

  it('keepConnection reconnects after clean ends until the server answers 204', async () => {
    const url = uniq('/clean-end')
    const events = await collect(await make().connect(url, { keepConnection: true }))
    expect(events.map((e) => e.data)).toEqual(['round 1', 'round 2', 'round 3'])
    const reqs = server.log.filter((r) => url.endsWith(r.url))
    expect(reqs.map((r) => r.lastEventId)).toEqual([undefined, 'c1', 'c2', 'c3'])
  })

  it('POSTs a JSON prompt and receives it back token by token', async () => {
    const before = server.log.length
    const prompt = 'The quick brown fox jumps over the lazy dog'
    const conn = await make().connect(`${server.url}/chat`, { json: { prompt, stream: true } })
    let text = ''
    let tokens = 0
    for await (const ev of conn) {
      if (ev.data === '[DONE]') break
      text += (JSON.parse(ev.data) as { token: string }).token
      tokens++
    }
    expect(text).toBe(prompt)
    expect(tokens).toBe(9)
    expect(server.log[before]).toMatchObject({ method: 'POST', body: JSON.stringify({ prompt, stream: true }) })
  })

  it('resolves 204 to an empty stream', async () => {
    const conn = await make().connect(`${server.url}/no-content`)
    expect(await collect(conn)).toEqual([])
    expect(conn.readyState).toBe('closed')
  })

  it('rejects connect() on a non-2xx status and on a wrong content type, without retrying', async () => {
    const before = server.log.length
    const e1 = await make().connect(`${server.url}/status-500`).catch((e: unknown) => e)
    expect(e1).toBeInstanceOf(SSEResponseError)
    expect(e1).toBeInstanceOf(SonicError)
    expect(e1).toMatchObject({ status: 500, contentType: 'text/event-stream' })
    const e2 = await make().connect(`${server.url}/wrong-type`).catch((e: unknown) => e)
    expect(e2).toMatchObject({ code: 'SONIC_SSE_RESPONSE', status: 200, contentType: 'application/json' })
    expect((e2 as Error).message).toMatch(/text\/event-stream/)
    expect(server.log.length).toBe(before + 2)
  })

  it('close() mid-stream ends the iteration and frees the connection', async () => {
    const closed = server.socketClosed('/forever')
    const conn = await make().connect(`${server.url}/forever`)
    const seen: string[] = []
    for await (const ev of conn) {
      seen.push(ev.data)
      if (seen.length === 3) void conn.close()
    }
    expect(seen).toEqual(['tick 0', 'tick 1', 'tick 2'])
    expect(conn.readyState).toBe('closed')
    await closed // the server saw its socket close
  })

  it('close() while a read is pending ends the iteration at once', async () => {
    const closed = server.socketClosed('/forever')
    const conn = await make().connect(`${server.url}/forever`)
    const it = conn[Symbol.asyncIterator]()
    expect((await it.next()).value?.data).toBe('tick 0')
    const pending = it.next().then(() => it.next()).then(() => it.next()).then(() => it.next())
    await conn.close()
    expect((await pending).done).toBe(true)
    await closed
  })

  it('aborting the signal ends the iteration and frees the connection', async () => {
    const closed = server.socketClosed('/forever')
    const ac = new AbortController()
    const conn = await make().connect(`${server.url}/forever`, { signal: ac.signal })
    let n = 0
    for await (const _ of conn) if (++n === 2) ac.abort()
    expect(n).toBe(2)
    await closed
  })

  it('await using closes the connection at the end of the scope', async () => {
    const closed = server.socketClosed('/forever')
    let conn: SSEConnection | undefined
    {
      await using c = await make().connect(`${server.url}/forever`)
      conn = c
      const it = c[Symbol.asyncIterator]()
      expect((await it.next()).done).toBe(false)
    }
    expect(conn.readyState).toBe('closed')
    await closed
  })

  it('close() during the reconnect delay clears the timer and ends the iteration at once', async () => {
    const conn = await make().connect(uniq('/drop-then-204'), { retryDelay: 60_000 })
    const it = conn[Symbol.asyncIterator]()
    expect((await it.next()).value?.data).toBe('first')
    const pending = it.next() // sees the drop, then waits 60 s before reconnecting
    for (let i = 0; i < 400 && conn.readyState !== 'connecting'; i++) await sleep(5)
    expect(conn.readyState).toBe('connecting')
    await conn.close()
    expect((await pending).done).toBe(true) // long before the 60 s delay
    expect(conn.readyState).toBe('closed')
  })

  it('rejects connect() with AbortError for an aborted signal', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(make().connect(`${server.url}/forever`, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError)
  })

  it('a connection can be iterated once', async () => {
    const conn = await make().connect(`${server.url}/basic`)
    void conn[Symbol.asyncIterator]()
    expect(() => conn[Symbol.asyncIterator]()).toThrow(InvalidArgumentError)
    await conn.close()
  })
})

describe('SSEClient with the fetch adapter', () => {
  it('keeps memory bounded over a long stream (200k events)', async () => {
    const gc = exposeGc()
    const N = 200_000
    const conn = await new SSEClient().connect(`${server.url}/long?n=${N}&size=400`)
    let count = 0
    let base = 0
    let peak = 0
    for await (const ev of conn) {
      if (ev.id !== String(count)) throw new Error(`event ${count} has id ${ev.id}`)
      count++
      if (count === 20_000) {
        gc()
        base = process.memoryUsage().heapUsed
      } else if (count % 40_000 === 0) {
        gc()
        peak = Math.max(peak, process.memoryUsage().heapUsed)
      }
    }
    expect(count).toBe(N)
    expect(conn.lastEventId).toBe(String(N - 1))
    // 200k events of ~420 bytes are ~84 MB of text: keeping them would show; streaming does not.
    expect(peak - base).toBeLessThan(24 * 1024 * 1024)
  }, 30_000) // 200k events through global fetch: seconds on a loaded 2-core CI machine

  it('applies timeouts.sockRead to the wait for the head and for each chunk', async () => {
    // 400 ms: long enough for a loaded CI machine to deliver a head that is sent at once.
    const e1 = await new SSEClient().connect(`${server.url}/hang`, { timeouts: { sockRead: 400 } }).catch((e: unknown) => e)
    expect(e1).toBeInstanceOf(ReadTimeoutError)
    const conn = await new SSEClient().connect(`${server.url}/silent`, { timeouts: { sockRead: 400 }, reconnect: false })
    const seen: string[] = []
    const e2 = await (async () => {
      for await (const ev of conn) seen.push(ev.data)
    })().catch((e: unknown) => e)
    expect(seen).toEqual(['hello'])
    expect(e2).toBeInstanceOf(ReadTimeoutError)
  })

  it('maps a refused connection to ConnectError with the OS error as cause', async () => {
    const probe = await startServer()
    const url = probe.url
    await probe.close()
    const err = await new SSEClient().connect(`${url}/basic`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('retries a reconnect that fails with a network error, then resumes', async () => {
    const dead = await startServer()
    const deadUrl = dead.url
    await dead.close()
    const inner = new NodeHttpClient()
    let calls = 0
    // The second request goes to a closed port (a real ECONNREFUSED), the others to the server.
    const flaky = { request: (url: string, o: object) => inner.request(++calls === 2 ? url.replace(server.url, deadUrl) : url, o) }
    const conn = await new SSEClient(flaky).connect(uniq('/drop'), { retryDelay: 5 })
    const events = await collect(conn)
    expect(events.map((e) => [e.data, e.id])).toEqual([
      ['one', '1'],
      ['two', '2'],
    ])
    expect(calls).toBe(3)
    expect(inner.calls.map((c) => c.options.headers?.['last-event-id'])).toEqual([undefined, '1', '1'])
  })

  it('rejects a client without request()', () => {
    expect(() => new SSEClient({} as never)).toThrow(InvalidArgumentError)
  })
})
