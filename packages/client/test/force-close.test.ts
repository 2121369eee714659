// forceClose (aiohttp's force_close): a new connection per request, `Connection: close` sent, none
// pooled — counted on a real server on 127.0.0.1.
import * as http from 'node:http'
import { createLeakCheck, fromSource, start } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { Agent, HTTPClient, InvalidArgumentError, TCPConnector } from '../src/index.js'

const leaks = createLeakCheck({ ours: fromSource('client') })
const cleanups = leaks.useCleanups()

async function server() {
  const seen: string[] = []
  const srv = await start(
    http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      seen.push(String(req.headers.connection))
      res.end(req.url)
    }),
  )
  cleanups.push(() => srv.close())
  return { ...srv, seen }
}

describe('forceClose', () => {
  it('off (the default): requests share one kept-alive connection', async () => {
    const srv = await server()
    const c = new HTTPClient()
    cleanups.push(() => c.close())
    for (let i = 0; i < 4; i++) expect(await (await c.get(`http://127.0.0.1:${srv.port}/${i}`)).text()).toBe(`/${i}`)
    expect(srv.sockets.length).toBe(1)
    expect(srv.seen).toHaveLength(4)
    expect(srv.seen).not.toContain('close')
  })

  it('on: one connection per request, each sent with Connection: close, nothing left in the pool', async () => {
    const srv = await server()
    const agent = new TCPConnector({ forceClose: true })
    const c = new HTTPClient({ connector: agent })
    cleanups.push(() => c.close())
    for (let i = 0; i < 4; i++) {
      const res = await c.get(`http://127.0.0.1:${srv.port}/${i}`)
      expect(await res.text()).toBe(`/${i}`)
      expect(res.reused).toBe(false)
    }
    expect(srv.sockets.length).toBe(4)
    expect(srv.seen).toEqual(['close', 'close', 'close', 'close'])
    expect(agent.stats.idle).toBe(0)
    expect(agent.stats.connections).toBe(0)
  })

  it('on, concurrently: still one connection each', async () => {
    const srv = await server()
    const c = new HTTPClient({ connector: new Agent({ forceClose: true }) })
    cleanups.push(() => c.close())
    const bodies = await Promise.all(Array.from({ length: 6 }, (_, i) => c.get(`http://127.0.0.1:${srv.port}/${i}`).then((r) => r.text())))
    expect(bodies).toEqual(['/0', '/1', '/2', '/3', '/4', '/5'])
    expect(srv.sockets.length).toBe(6)
  })

  it('a bad value → InvalidArgumentError', () => {
    expect(() => new Agent({ forceClose: 'yes' as never })).toThrow(InvalidArgumentError)
  })
})
