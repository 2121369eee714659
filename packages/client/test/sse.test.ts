// SSEClient from @sonic/client: server-sent events over sonic's own HTTP/1.1 stack.
import { describe, expect, it } from 'vitest'
import { HTTPClient, SSEClient, SSEResponseError } from '../src/index.js'
import { httpServer, readBody, sleep, useCleanups } from './helpers.js'

const using = useCleanups()

describe('SSEClient over HTTPClient', () => {
  it('streams events, reconnects with Last-Event-ID after a drop, stops on 204', async () => {
    const seenIds: (string | undefined)[] = []
    let connects = 0
    const srv = using(
      await httpServer((req, res) => {
        connects++
        seenIds.push(req.headers['last-event-id'] as string | undefined)
        expect(req.headers.accept).toBe('text/event-stream')
        if (connects === 3) {
          res.statusCode = 204
          res.end()
          return
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        if (connects === 1) {
          res.write('retry: 50\n\nid: 1\nevent: greet\ndata: hello\n\nid: 2\ndata: wor')
          setTimeout(() => res.socket?.destroy(), 30) // dropped mid-event
        } else {
          res.write('id: 3\ndata: again\n\n')
          res.end()
        }
      }),
    )
    const client = using(new HTTPClient())
    const sse = new SSEClient(client)
    const conn = await sse.connect(srv.url + '/events', { keepConnection: true })
    const events: string[] = []
    for await (const ev of conn) events.push(`${ev.event}:${ev.data}:${ev.id}`)
    expect(events).toEqual(['greet:hello:1', 'message:again:3'])
    expect(seenIds).toEqual([undefined, '1', '3'])
  })

  it('streams a POSTed JSON prompt back token by token (the LLM shape)', async () => {
    const srv = using(
      await httpServer(async (req, res) => {
        const prompt = JSON.parse((await readBody(req)).toString()) as { prompt: string }
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
        for (const token of prompt.prompt.split(' ')) {
          res.write(`data: ${JSON.stringify({ token })}\n\n`)
          await sleep(2)
        }
        res.end('data: [DONE]\n\n')
      }),
    )
    const client = using(new HTTPClient())
    const conn = await new SSEClient(client).connect(srv.url, { json: { prompt: 'héllo sonic wörld' } })
    const tokens: string[] = []
    for await (const ev of conn) {
      if (ev.data === '[DONE]') break
      tokens.push((JSON.parse(ev.data) as { token: string }).token)
    }
    await conn.close()
    expect(tokens).toEqual(['héllo', 'sonic', 'wörld'])
  })

  it('a non-2xx answer is a clear error, not a reconnect loop', async () => {
    let hits = 0
    const srv = using(
      await httpServer((_req, res) => {
        hits++
        res.statusCode = 500
        res.end('boom')
      }),
    )
    const client = using(new HTTPClient())
    const err = await new SSEClient(client).connect(srv.url).catch((e) => e)
    expect(err).toBeInstanceOf(SSEResponseError)
    expect(hits).toBe(1)
  })

  it('close() mid-stream frees the connection for the next request', async () => {
    let open = 0
    const srv = using(
      await httpServer((req, res) => {
        if (req.url === '/plain') return void res.end('plain')
        open++
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        const t = setInterval(() => res.write('data: tick\n\n'), 5)
        res.on('close', () => {
          clearInterval(t)
          open--
        })
      }),
    )
    const client = using(new HTTPClient())
    const conn = await new SSEClient(client).connect(srv.url + '/stream')
    let n = 0
    for await (const _ev of conn) if (++n === 3) break
    await conn.close()
    expect(await (await client.get(srv.url + '/plain')).text()).toBe('plain')
    for (let i = 0; i < 50 && open > 0; i++) await sleep(10)
    expect(open).toBe(0)
  })
})
