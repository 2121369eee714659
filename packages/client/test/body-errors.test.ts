// What goes wrong in a request body reaches the caller as a SonicError naming the request,
// never as a plain TypeError, and the connection it was written to is not reused.
import { describe, expect, it } from 'vitest'
import { HTTPClient, InvalidArgumentError, SonicError } from '../src/index.js'
import { httpServer, readBody, useCleanups } from './helpers.js'

const using = useCleanups()

describe('request body errors', () => {
  it('a jsonSerializer that throws is an InvalidArgumentError with its error as cause; nothing is sent', async () => {
    let hits = 0
    const srv = using(await httpServer((_q, r) => void (hits++, r.end('ok'))))
    const c = using(new HTTPClient())
    const boom = new TypeError('cannot serialise')
    const err = (await c.post(`${srv.url}/j`, { json: { a: 1 }, jsonSerializer: () => { throw boom } }).catch((e: unknown) => e)) as InvalidArgumentError
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.cause).toBe(boom)
    expect(err.message).toContain('POST')
    expect(hits).toBe(0)
  })

  it('an iterable body that yields something other than bytes or a string is an InvalidArgumentError', async () => {
    const srv = using(await httpServer(async (q, r) => {
      await readBody(q).catch(() => {})
      r.end('ok')
    }))
    const c = using(new HTTPClient())
    async function* bad() {
      yield 'fine'
      yield 42 as unknown as string
    }
    const err = (await c.post(`${srv.url}/it`, { data: bad() }).catch((e: unknown) => e)) as InvalidArgumentError
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.code).toBe('SONIC_INVALID_ARGUMENT')
    expect(err.message).toMatch(/only Uint8Array or string chunks, got number/)
    expect(err.url).toBe(`${srv.url}/it`)
  })

  it('a body source that fails is an InvalidArgumentError with its error as cause; the next request still works', async () => {
    const srv = using(await httpServer(async (q, r) => {
      await readBody(q).catch(() => {})
      r.end('ok')
    }))
    const c = using(new HTTPClient())
    const gone = new Error('disk gone')
    async function* failing() {
      yield 'a'
      throw gone
    }
    const err = (await c.post(`${srv.url}/up`, { data: failing() }).catch((e: unknown) => e)) as InvalidArgumentError
    expect(err).toBeInstanceOf(SonicError)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.cause).toBe(gone)
    expect(err.method).toBe('POST')
    expect(await (await c.get(`${srv.url}/after`)).text()).toBe('ok')
  })
})
