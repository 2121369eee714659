import net from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { deferWrite } from './write-batch.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})

async function pair(): Promise<{ client: net.Socket; received: () => string }> {
  let got = ''
  const server = net.createServer((s) => s.on('data', (d) => (got += d.toString('latin1'))))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  await new Promise((r) => client.once('connect', r))
  cleanups.push(() => {
    client.destroy()
    server.close()
  })
  return { client, received: () => got }
}

test('writes made in one iteration stay corked until its end, then all leave', async () => {
  const a = await pair()
  const b = await pair()
  deferWrite(a.client)
  a.client.write('GET /a HTTP/1.1\r\n\r\n', 'latin1')
  deferWrite(b.client)
  b.client.write('GET /b HTTP/1.1\r\n\r\n', 'latin1')
  // Still in the same iteration: nothing has reached the sockets' kernel buffers.
  expect(a.client.writableLength).toBeGreaterThan(0)
  expect(b.client.writableLength).toBeGreaterThan(0)
  await new Promise((r) => setImmediate(r))
  expect(a.client.writableLength).toBe(0)
  expect(b.client.writableLength).toBe(0)
  await new Promise((r) => setTimeout(r, 20))
  expect(a.received()).toBe('GET /a HTTP/1.1\r\n\r\n')
  expect(b.received()).toBe('GET /b HTTP/1.1\r\n\r\n')
})

test('a socket destroyed while corked does not break the flush of the others', async () => {
  const a = await pair()
  const b = await pair()
  deferWrite(a.client)
  a.client.write('lost', 'latin1')
  a.client.destroy()
  deferWrite(b.client)
  b.client.write('kept', 'latin1')
  await new Promise((r) => setTimeout(r, 20))
  expect(b.received()).toBe('kept')
})
