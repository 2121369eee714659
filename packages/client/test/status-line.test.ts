// A raw server with status lines an HTTP/1 client must refuse (issue 17, defects 7 and 8): the
// request fails at once with HttpParserError, not after the read timeout.
import type net from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { HTTPClient, HttpParserError } from '../src/index.js'
import { netServer, type Running } from './helpers.js'

let srv: Running<net.Server>
beforeAll(async () => {
  srv = await netServer((s) => {
    s.once('data', (d) => {
      const path = d.toString('latin1').split(' ')[1]!
      const line = path === '/zero' ? 'HTTP/1.1 000 Zero' : path === '/h2' ? 'HTTP/2.0 200 OK' : 'HTTP/0.9 200 OK'
      s.write(`${line}\r\nContent-Length: 2\r\n\r\nok`)
    })
  })
})
afterAll(() => srv.close())

it.each([
  ['/zero', 'HPE_INVALID_STATUS'],
  ['/h2', 'HPE_INVALID_VERSION'],
  ['/h09', 'HPE_INVALID_VERSION'],
])('%s → HttpParserError %s before sockRead', async (path, code) => {
  await using c = new HTTPClient({ baseUrl: srv.url })
  const err = await c.get(path, { timeouts: { sockRead: 5000 } }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(HttpParserError)
  expect((err as HttpParserError).llhttpCode).toBe(code)
})
