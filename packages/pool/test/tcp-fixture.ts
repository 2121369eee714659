// Test fixtures: a real TCP echo server on loopback and a PoolableConnection over a real
// net.Socket. The pool is the layer under test; the sockets underneath are real.
import net from 'node:net'
import { once } from 'node:events'
import { ConnectError, type ConnectionFactory, type PoolableConnection } from '@sonic/core'

let nextId = 1

/** One TCP connection; `request()` sends a line and waits for the server to echo it back. */
export class TcpConnection implements PoolableConnection {
  readonly id = nextId++
  readonly origin: string
  readonly socket: net.Socket
  /** Resolves when the socket has fully closed. */
  readonly closedPromise: Promise<void>
  requestCount = 0
  keepAliveTimeout: number | null = null
  /** Every setIdle() call, in order. */
  readonly idleCalls: boolean[] = []
  #ended = false
  #onData: ((chunk: Buffer) => void) | null = null

  constructor(origin: string, socket: net.Socket) {
    this.origin = origin
    this.socket = socket
    // Always reading, like a real HTTP connection, so a FIN from the server is seen while idle.
    socket.on('data', (chunk: Buffer) => this.#onData?.(chunk))
    socket.on('end', () => {
      this.#ended = true
    })
    socket.on('error', () => {
      this.#ended = true
    })
    this.closedPromise = once(socket, 'close').then(() => undefined)
  }

  get closed(): boolean {
    return this.#ended || this.socket.destroyed
  }

  setIdle(idle: boolean): void {
    this.idleCalls.push(idle)
    if (idle) this.socket.unref()
    else this.socket.ref()
  }

  /** The reasons destroy() was called with, in order. */
  readonly destroyReasons: (Error | undefined)[] = []

  destroy(reason?: Error): void {
    this.destroyReasons.push(reason)
    this.socket.destroy()
  }

  /** One request: write `text` + LF, read until the echoed LF. */
  request(text: string): Promise<string> {
    this.requestCount++
    return new Promise((resolve, reject) => {
      let got = ''
      const onData = (chunk: Buffer) => {
        got += chunk.toString('latin1')
        if (got.endsWith('\n')) {
          done()
          resolve(got.slice(0, -1))
        }
      }
      const onClose = () => {
        done()
        reject(new Error('closed'))
      }
      const done = () => {
        this.#onData = null
        this.socket.off('close', onClose)
      }
      this.#onData = onData
      this.socket.on('close', onClose)
      this.socket.write(`${text}\n`)
    })
  }
}

export interface EchoServer {
  readonly port: number
  readonly origin: string
  /** Connections accepted so far. */
  readonly accepted: number
  /** Server-side sockets still open. */
  readonly open: Set<net.Socket>
  /** Closes the server side of `conn` (a FIN, as a server whose keep-alive ran out). */
  hangUp(conn: TcpConnection): Promise<void>
  /** Waits (at most ~2 s) until every server-side socket has closed; returns how many are still open. */
  drained(): Promise<number>
  close(): Promise<void>
}

export async function startEchoServer(): Promise<EchoServer> {
  const open = new Set<net.Socket>()
  const state = { accepted: 0 }
  const server = net.createServer((socket) => {
    state.accepted++
    open.add(socket)
    // The server side never keeps the process alive, so liveResources() sees the client side only.
    socket.unref()
    socket.on('close', () => open.delete(socket))
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get accepted() {
      return state.accepted
    },
    open,
    async hangUp(conn) {
      // The client may see 'connect' before the server has run its 'connection' handler.
      const local = conn.socket.localPort
      for (let tries = 0; tries < 200; tries++) {
        const peer = [...open].find((s) => s.remotePort === local)
        if (peer !== undefined) {
          peer.end()
          return conn.closedPromise
        }
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`no server-side socket for client port ${local}`)
    },
    async drained() {
      for (let tries = 0; tries < 400 && open.size > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 5))
      return open.size
    },
    close: () => closeServer(server, open),
  }
}

/** A factory dialing the port in `origin`; it keeps every connection it made in `made`. */
export function tcpFactory(made: TcpConnection[] = []): ConnectionFactory<TcpConnection> & { made: TcpConnection[] } {
  const factory = (origin: string) =>
    new Promise<TcpConnection>((resolve, reject) => {
      const url = new URL(origin)
      const socket = net.connect({ host: url.hostname, port: Number(url.port) })
      socket.once('connect', () => {
        socket.removeListener('error', onError)
        const conn = new TcpConnection(origin, socket)
        made.push(conn)
        resolve(conn)
      })
      const onError = (err: Error) => reject(new ConnectError(`connect to ${origin} failed`, { cause: err }))
      socket.once('error', onError)
    })
  return Object.assign(factory, { made })
}

/** Destroys the server's sockets, closes it and waits until libuv has let go of its handle. */
export async function closeServer(server: net.Server, open: Iterable<net.Socket>): Promise<void> {
  for (const s of open) s.destroy()
  server.close()
  await once(server, 'close')
  // 'close' is emitted before libuv runs the handle's close callback (the "close" phase comes
  // after the "check" phase): two setImmediate turns get past it.
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Counts the ref'd handles and timers that would keep the process alive. */
export function liveResources(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) {
    if (name === 'TCPSocketWrap' || name === 'TCPServerWrap' || name === 'Timeout') out[name] = (out[name] ?? 0) + 1
  }
  return out
}
