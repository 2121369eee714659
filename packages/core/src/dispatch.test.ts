import { describe, expect, test } from 'vitest'
import { bodyFrom } from './body-from.js'
import type { HttpResponseHead } from './connection.js'
import { compose, type Dispatch, type DispatchRequest, type Interceptor } from './dispatch.js'
import { InvalidArgumentError } from './errors.js'
import { HttpHeaders } from './http-headers.js'

const req: DispatchRequest = {
  origin: 'http://127.0.0.1:1',
  method: 'GET',
  path: '/',
  authority: '127.0.0.1:1',
  scheme: 'http',
  headers: [],
  body: null,
  sockRead: null,
}

function head(status: number, seen: string): HttpResponseHead {
  return { status, statusText: '', httpVersion: '1.1', headers: new HttpHeaders([['x-seen', seen]]), chunked: false, body: bodyFrom('') }
}

/** The innermost dispatch: answers with the headers it received, joined. */
const echo: Dispatch = async (r) => head(200, r.headers.filter((_, i) => i % 2 === 1).join(','))

function tag(name: string, log: string[]): Interceptor {
  return (next) => async (r) => {
    log.push(`>${name}`)
    const res = await next({ ...r, headers: [...r.headers, 'x-by', name] })
    log.push(`<${name}`)
    return res
  }
}

describe('compose', () => {
  test('the first interceptor is the outermost: sees the request first and the response last', async () => {
    const log: string[] = []
    const send = compose(echo, tag('a', log), tag('b', log), tag('c', log))
    const res = await send(req)
    expect(log).toEqual(['>a', '>b', '>c', '<c', '<b', '<a'])
    expect(res.headers.get('x-seen')).toBe('a,b,c')
  })

  test('without interceptors it is the dispatch itself', () => {
    expect(compose(echo)).toBe(echo)
  })

  test('an interceptor may answer without calling next', async () => {
    let calls = 0
    const inner: Dispatch = async (r) => {
      calls++
      return echo(r)
    }
    const cache: Interceptor = () => async () => ({ ...head(203, 'cache'), body: bodyFrom('cached') })
    const res = await compose(inner, cache)(req)
    expect(calls).toBe(0)
    expect(res.status).toBe(203)
    expect(Buffer.from(await res.body.readAll()).toString()).toBe('cached')
  })

  test('what is not a function is an InvalidArgumentError', () => {
    expect(() => compose(null as unknown as Dispatch)).toThrow(InvalidArgumentError)
    expect(() => compose(echo, 1 as unknown as Interceptor)).toThrow(/interceptor 0 is not a function/)
    expect(() => compose(echo, (() => 'x') as unknown as Interceptor)).toThrow(/did not return a dispatch function/)
  })
})

describe('bodyFrom', () => {
  test('bytes: one chunk, then the end; readAll returns them', async () => {
    const bytes = new Uint8Array([1, 2, 3])
    const a = bodyFrom(bytes)
    expect(a.length).toBe(3)
    expect(await a.read()).toBe(bytes)
    expect(await a.read()).toBeNull()
    expect(await bodyFrom(bytes).readAll()).toBe(bytes)
    expect((await bodyFrom(new Uint8Array(0)).read())).toBeNull()
  })

  test('a string is UTF-8', async () => {
    const r = bodyFrom('café')
    expect(r.length).toBe(5)
    expect(Buffer.from(await r.readAll()).toString('utf8')).toBe('café')
  })

  test('an async iterable is pulled chunk by chunk; cancel returns its iterator', async () => {
    let returned = false
    let pulled = 0
    async function* gen() {
      try {
        for (let i = 0; i < 5; i++) {
          pulled++
          yield i === 2 ? 'two' : new Uint8Array([i])
        }
      } finally {
        returned = true
      }
    }
    const r = bodyFrom(gen())
    expect(r.length).toBeNull()
    expect(await r.read()).toEqual(new Uint8Array([0]))
    expect(pulled).toBe(1)
    await r.cancel()
    expect(returned).toBe(true)
    expect(await r.read()).toBeNull()
    const all = await bodyFrom(gen(), 6).readAll()
    expect(Buffer.from(all).toString('latin1')).toBe('\x00\x01two\x03\x04')
  })

  test('a chunk of the wrong type is an InvalidArgumentError; so is a source of the wrong type', async () => {
    async function* bad() {
      yield 42 as unknown as Uint8Array
    }
    await expect(bodyFrom(bad()).read()).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(() => bodyFrom(42 as unknown as string)).toThrow(InvalidArgumentError)
  })
})
