// The stale-connection retry goes out on a fresh connection: a server that drops its idle
// keep-alive connections drops them all at once, so the next idle one would fail the same way.
import { expect, it } from 'vitest'
import { ConnectionClosedError, HTTPClient, TCPConnector } from '../src/index.js'
import { netServer, useCleanups } from './helpers.js'

const using = useCleanups()

it('a GET that fails on a stale connection is resent once on a new one, past other stale idle ones', async () => {
  let connections = 0
  const requests: string[] = []
  // Each connection answers its first request, then resets on the next one (a keep-alive
  // connection the server has given up on).
  const srv = using(
    await netServer((s) => {
      connections++
      let n = 0
      s.on('data', (d) => {
        requests.push(d.toString('latin1').split(' ', 2)[1]!)
        if (n++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
        else s.destroy()
      })
    }),
  )
  const c = using(new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 4 } } }) }))
  const [a, b] = await Promise.all([c.get(`${srv.url}/a`), c.get(`${srv.url}/b`)])
  expect([await a.text(), await b.text()]).toEqual(['ok', 'ok'])
  expect(connections).toBe(2)
  expect(await (await c.get(`${srv.url}/c`)).text()).toBe('ok')
  // /c went out once on a reused connection (reset), then on a new one: not on the other stale one.
  expect(requests.filter((p) => p === '/c')).toHaveLength(2)
  expect(connections).toBe(3)
})

it('a POST that fails on a stale connection is not resent', async () => {
  const posts: string[] = []
  const srv = using(
    await netServer((s) => {
      let n = 0
      s.on('data', (d) => {
        const line = d.toString('latin1').split('\r\n', 1)[0]!
        if (line.startsWith('POST')) posts.push(line)
        if (n++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
        else s.destroy()
      })
    }),
  )
  const c = using(new HTTPClient({ connector: new TCPConnector({ poolConfigs: { ':default': { size: 1 } } }) }))
  expect(await (await c.get(srv.url)).text()).toBe('ok')
  const err = await c.post(srv.url, { data: 'x' }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ConnectionClosedError)
  expect(posts).toHaveLength(1)
})
