// The server the docs' runnable blocks talk to (in place of http://127.0.0.1:8080 and :8081). One
// port speaks HTTP/1.1 and HTTP/2 with prior knowledge (h2c): the first bytes of a connection
// decide, as the h2c preface starts with "PRI * HTTP/2.0".
import * as http from 'node:http'
import * as http2 from 'node:http2'
import * as net from 'node:net'
import { Duplex } from 'node:stream'

type Request = http.IncomingMessage | http2.Http2ServerRequest
type Response = http.ServerResponse | http2.Http2ServerResponse

/**
 * What a doc example may ask of it: `/old` redirects (301) to `/new`, `/missing` is a 404,
 * `Accept: text/event-stream` gets two events, any other path JSON describing the request (with a
 * `Set-Cookie`).
 */
export function docHandler(req: Request, res: Response): void {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0]
    if ((req.headers.accept ?? '').includes('text/event-stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.end('id: 1\nevent: message\ndata: {"hello":"world"}\n\nid: 2\ndata: bye\n\n')
      return
    }
    if (path === '/old') {
      res.writeHead(301, { location: '/new', 'content-length': '0' })
      res.end()
      return
    }
    const body = Buffer.concat(chunks)
    const status = path === '/missing' ? 404 : 200
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !name.startsWith(':')))
    res.writeHead(status, { 'content-type': 'application/json', 'set-cookie': 'session=abc; Path=/' })
    res.end(
      JSON.stringify({ method: req.method, url: req.url, httpVersion: req.httpVersion, headers, bodyLength: body.length, ok: status < 400 }),
    )
  })
}

export interface DocServer {
  port: number
  origin: string
  close(): Promise<void>
}

const H2_PREFACE = Buffer.from('PRI ')

/** `socket` as a Duplex that yields `first`, then what the socket reads (with backpressure). */
function replay(socket: net.Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, cb) => void socket.write(chunk, cb),
    final: (cb) => void socket.end(cb),
    destroy: (err, cb) => {
      socket.destroy()
      cb(err)
    },
  })
  duplex.push(first)
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause()
  })
  socket.on('end', () => duplex.push(null))
  socket.on('close', () => duplex.destroy())
  return duplex
}

/** Starts one doc server on 127.0.0.1 (a free port). */
export async function startDocServer(): Promise<DocServer> {
  const h1 = http.createServer(docHandler)
  const h2 = http2.createServer(docHandler)
  const sockets = new Set<net.Socket>()
  const sessions = new Set<http2.ServerHttp2Session>()
  h2.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s)
    s.once('close', () => sessions.delete(s))
  })
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let seen = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk])
      if (seen.length < H2_PREFACE.length && H2_PREFACE.subarray(0, seen.length).equals(seen)) return
      socket.off('data', onData)
      if (seen.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) {
        // node:http2 reads a net.Socket's handle itself and would miss the bytes read here; over
        // a stream of its own it reads what the stream gives, those bytes first.
        h2.emit('connection', replay(socket, seen))
        return
      }
      socket.pause()
      socket.unshift(seen)
      h1.emit('connection', socket)
      socket.resume()
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        for (const s of sockets) s.destroy()
        h1.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
