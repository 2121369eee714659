// Every request error names its method and URL, in the message and as fields (issue 10).
import net from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ConnectError, HTTPClient, HttpParserError, InvalidArgumentError, ReadTimeoutError, SonicError } from '../src/index.js'
import { netServer, type Running } from './helpers.js'

let srv: Running<net.Server>
beforeAll(async () => {
  srv = await netServer((s) => {
    s.on('data', (d) => {
      const line = d.toString('latin1')
      if (line.includes('/silent')) return
      if (line.includes('/corrupt')) s.write('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip')
      else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    })
  })
})
afterAll(() => srv.close())

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

it('a connect error names method and URL', async () => {
  await using c = new HTTPClient()
  const url = `http://127.0.0.1:${await freePort()}/submit`
  const err = (await c.post(url, { data: 'x' }).catch((e: unknown) => e)) as SonicError
  expect(err).toBeInstanceOf(ConnectError)
  expect(err.method).toBe('POST')
  expect(err.url).toBe(url)
  expect(err.message).toContain(`POST ${url}`)
})

it('a read timeout names them, without the query string', async () => {
  await using c = new HTTPClient()
  const err = (await c.get(`${srv.url}/silent?token=secret`, { timeouts: { sockRead: 100 } }).catch((e: unknown) => e)) as SonicError
  expect(err).toBeInstanceOf(ReadTimeoutError)
  expect(err.method).toBe('GET')
  expect(err.url).toBe(`${srv.url}/silent`)
  expect(err.message).not.toContain('secret')
})

it('a body error names them', async () => {
  await using c = new HTTPClient()
  const err = (await (await c.get(`${srv.url}/corrupt`)).bytes().catch((e: unknown) => e)) as SonicError
  expect(err).toBeInstanceOf(HttpParserError)
  expect(err.url).toBe(`${srv.url}/corrupt`)
  expect(err.message).toContain('GET')
})

it('an invalid request names them too', async () => {
  await using c = new HTTPClient()
  const err = (await c.request(`${srv.url}/x`, { method: 'put', headers: { 'x-bad': 'a\nb' } }).catch((e: unknown) => e)) as SonicError
  expect(err).toBeInstanceOf(InvalidArgumentError)
  expect(err.method).toBe('PUT')
  expect(err.url).toBe(`${srv.url}/x`)
})
