// A real SSE server on 127.0.0.1 for the integration tests. Each route is a behaviour a client
// must handle; `log` records every request (path, method, Last-Event-ID, body) in order.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface LoggedRequest {
  /** Path and query as requested. */
  url: string
  path: string
  method: string
  lastEventId: string | undefined
  accept: string | undefined
  cacheControl: string | undefined
  body: string
}

export interface SSEServer {
  url: string
  log: LoggedRequest[]
  /** Resolves when the server sees the socket of the next request to `path` close. */
  socketClosed(path: string): Promise<void>
  /** Sockets currently open on the server. */
  openSockets(): number
  close(): Promise<void>
}

const SSE_HEAD = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/** Writes `n` events of `size` data bytes, respecting the socket's backpressure. */
function writeMany(res: http.ServerResponse, n: number, size: number): void {
  const pad = 'p'.repeat(size)
  let i = 0
  const pump = (): void => {
    while (i < n) {
      const ok = res.write(`id: ${i}\ndata: ${i} ${pad}\n\n`)
      i++
      if (!ok) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}

export async function startServer(): Promise<SSEServer> {
  const log: LoggedRequest[] = []
  const counters = new Map<string, number>()
  const closeWaiters = new Map<string, () => void>()
  const sockets = new Set<import('node:net').Socket>()
  const intervals = new Set<ReturnType<typeof setInterval>>()

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    let body = ''
    for await (const c of req) body += c
    log.push({
      url: req.url ?? '/',
      path,
      method: req.method ?? '',
      lastEventId: req.headers['last-event-id'] as string | undefined,
      accept: req.headers.accept,
      cacheControl: req.headers['cache-control'],
      body,
    })
    // Routes that change with each reconnection count requests per path + query, so each test
    // uses its own query (see `uniq` in the tests).
    const nth = (counters.get(req.url ?? '/') ?? 0) + 1
    counters.set(req.url ?? '/', nth)
    const waiter = closeWaiters.get(path)
    if (waiter) {
      closeWaiters.delete(path)
      req.socket.once('close', waiter)
    }

    switch (path) {
      case '/basic': // three events then a clean end
        res.writeHead(200, SSE_HEAD)
        res.end(`: hello\nid: a1\nevent: greet\ndata: hi ${url.searchParams.get('who') ?? ''}\n\ndata: line1\ndata: line2\n\nid: a3\ndata: é世🎉\n\n`)
        return
      case '/drop': // drop mid-event once, then resume after the Last-Event-ID and end cleanly
        res.writeHead(200, SSE_HEAD)
        if (nth === 1) {
          res.write('retry: 30\nid: 1\ndata: one\n\n')
          res.write('id: 2\ndata: never dispatch')
          setTimeout(() => res.destroy(), 20)
        } else {
          res.end(`id: ${Number(req.headers['last-event-id']) + 1}\ndata: two\n\n`)
        }
        return
      case '/drop-then-204':
        if (nth === 1) {
          res.writeHead(200, SSE_HEAD)
          res.write('id: x\ndata: first\n\n')
          setTimeout(() => res.destroy(), 20)
        } else {
          res.writeHead(204).end()
        }
        return
      case '/drop-then-503':
        if (nth === 1) {
          res.writeHead(200, SSE_HEAD)
          res.write('retry: 10\ndata: first\n\n')
          setTimeout(() => res.destroy(), 20)
        } else {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('busy')
        }
        return
      case '/clean-end': // ends cleanly each time; after three connections says stop (204)
        if (nth > 3) {
          res.writeHead(204).end()
          return
        }
        res.writeHead(200, SSE_HEAD)
        res.end(`retry: 10\nid: c${nth}\ndata: round ${nth}\n\n`)
        return
      case '/chat': {
        // Streams the POSTed prompt back token by token, then [DONE].
        const { prompt } = JSON.parse(body) as { prompt: string }
        res.writeHead(200, SSE_HEAD)
        const tokens = prompt.split(/(?<= )/)
        let i = 0
        const next = (): void => {
          if (i < tokens.length) {
            res.write(`data: ${JSON.stringify({ token: tokens[i++] })}\n\n`)
            setImmediate(next)
          } else {
            res.end('data: [DONE]\n\n')
          }
        }
        next()
        return
      }
      case '/silent': // one event, then nothing (the connection stays open)
        res.writeHead(200, SSE_HEAD)
        res.write('data: hello\n\n')
        return
      case '/hang': // never answers
        return
      case '/no-content':
        res.writeHead(204).end()
        return
      case '/status-500':
        res.writeHead(500, { 'content-type': 'text/event-stream' }).end('data: no\n\n')
        return
      case '/wrong-type':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":1}')
        return
      case '/forever': {
        // An event every 5 ms until the client goes away.
        res.writeHead(200, SSE_HEAD)
        let i = 0
        const t = setInterval(() => res.write(`id: ${i}\ndata: tick ${i++}\n\n`), 5)
        intervals.add(t)
        res.on('close', () => {
          clearInterval(t)
          intervals.delete(t)
        })
        return
      }
      case '/long':
        res.writeHead(200, SSE_HEAD)
        writeMany(res, Number(url.searchParams.get('n')), Number(url.searchParams.get('size')))
        return
      default:
        res.writeHead(404).end()
    }
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    socketClosed: (path) => new Promise<void>((resolve) => closeWaiters.set(path, resolve)),
    openSockets: () => sockets.size,
    close: async () => {
      for (const t of intervals) clearInterval(t)
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
