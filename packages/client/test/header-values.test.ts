// Control characters in header values are refused before a byte is sent (issue 17, defect 10).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { HTTPClient, InvalidArgumentError } from '../src/index.js'
import { netServer, type Running } from './helpers.js'
import type net from 'node:net'

let srv: Running<net.Server>
let connections = 0
beforeAll(async () => {
  srv = await netServer((s) => {
    connections++
    s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'))
  })
})
afterAll(() => srv.close())

it.each(['\x01', '\x1b[2J', '\x7f', '\x08'])('a header value with %j is an InvalidArgumentError and nothing is sent', async (bad) => {
  await using c = new HTTPClient({ baseUrl: srv.url })
  const before = connections
  const err = await c.get('/', { headers: { 'x-bad': `a${bad}b` } }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(InvalidArgumentError)
  expect((err as Error).message).toContain('x-bad')
  expect(connections).toBe(before)
})

it('HTAB and obs-text in a value are still sent', async () => {
  await using c = new HTTPClient({ baseUrl: srv.url })
  const res = await c.get('/', { headers: { 'x-ok': 'a\tb caf\xe9' } })
  expect(await res.text()).toBe('ok')
})
