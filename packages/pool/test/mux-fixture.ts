// Test fixtures for shared connections: a real TCP server on loopback speaking a tiny multiplexed
// line protocol, and a PoolableConnection with a `capacity` over a real net.Socket. The pool is the
// layer under test; the sockets, the interleaving and the cancellations underneath are real.
//
// One line each way:
//   server → client  `SETTINGS <n>`            the capacity (on accept, and by setCapacity())
//   client → server  `<id> <delayMs> <text>`   answered `<id> <text>` after delayMs, in any order
//   client → server  `CANCEL <id>`             the server drops that exchange and never answers it
import net from 'node:net'
import { once } from 'node:events'
import { AbortError, ConnectError, type ConnectionFactory, type PoolableConnection } from '@sonic/core'
import { closeServer } from './tcp-fixture.js'

let nextConnId = 1

interface Exchange {
  readonly resolve: (answer: string) => void
  readonly reject: (err: unknown) => void
  readonly signal: AbortSignal | null
  onAbort: (() => void) | null
}

/** One TCP connection carrying up to `capacity` exchanges at once, matched by id. */
export class MuxConnection implements PoolableConnection {
  readonly id = nextConnId++
  readonly origin: string
  readonly socket: net.Socket
  /** Resolves when the socket has fully closed. */
  readonly closedPromise: Promise<void>
  requestCount = 0
  keepAliveTimeout: number | null = null
  /** What the server's last SETTINGS said (1 until the first arrives). */
  capacity = 1
  /** Exchanges in flight now, and the most there were at once. */
  inFlight = 0
  maxInFlight = 0
  /** Answers for an id nobody waits for (a cancelled exchange the server answered anyway). */
  strays = 0
  /** Every setIdle() call, in order. */
  readonly idleCalls: boolean[] = []
  /** The reasons destroy() was called with, in order. */
  readonly destroyReasons: (Error | undefined)[] = []
  #ended = false
  #buffered = ''
  #nextId = 1
  readonly #exchanges = new Map<number, Exchange>()
  #onSettings: (() => void)[] = []

  constructor(origin: string, socket: net.Socket) {
    this.origin = origin
    this.socket = socket
    socket.setEncoding('latin1')
    // Always reading, like a real HTTP/2 session, so SETTINGS and a FIN are seen while idle.
    socket.on('data', (chunk: string) => this.#onData(chunk))
    socket.on('end', () => {
      this.#ended = true
      this.#failAll()
    })
    socket.on('error', () => {
      this.#ended = true
    })
    socket.on('close', () => this.#failAll())
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

  destroy(reason?: Error): void {
    this.destroyReasons.push(reason)
    this.socket.destroy()
  }

  /** Resolves when the next SETTINGS line has been applied. */
  nextSettings(): Promise<void> {
    return new Promise((resolve) => this.#onSettings.push(resolve))
  }

  /**
   * One exchange: the server echoes `text` after `delayMs`. Aborting `signal` cancels this exchange
   * alone (the server is told `CANCEL <id>`) and rejects with AbortError; the connection stays up.
   */
  request(text: string, delayMs = 0, signal: AbortSignal | null = null): Promise<string> {
    this.requestCount++
    if (signal?.aborted) return Promise.reject(new AbortError('aborted', { cause: signal.reason }))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const ex: Exchange = { resolve, reject, signal, onAbort: null }
      if (signal !== null) {
        ex.onAbort = () => this.#cancel(id, new AbortError('aborted', { cause: signal.reason }))
        signal.addEventListener('abort', ex.onAbort, { once: true })
      }
      this.#exchanges.set(id, ex)
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      this.socket.write(`${id} ${delayMs} ${text}\n`)
    })
  }

  #cancel(id: number, err: Error): void {
    const ex = this.#end(id)
    if (ex === undefined) return
    ex.reject(err)
    if (!this.socket.destroyed) this.socket.write(`CANCEL ${id}\n`)
  }

  /** Forgets exchange `id`; returns its callbacks, or undefined when it is not pending. */
  #end(id: number): Exchange | undefined {
    const ex = this.#exchanges.get(id)
    if (ex === undefined) return undefined
    this.#exchanges.delete(id)
    this.inFlight--
    if (ex.onAbort !== null) ex.signal?.removeEventListener('abort', ex.onAbort)
    return ex
  }

  #onData(chunk: string): void {
    this.#buffered += chunk
    let nl: number
    while ((nl = this.#buffered.indexOf('\n')) >= 0) {
      const line = this.#buffered.slice(0, nl)
      this.#buffered = this.#buffered.slice(nl + 1)
      const space = line.indexOf(' ')
      const head = line.slice(0, space)
      const rest = line.slice(space + 1)
      if (head === 'SETTINGS') {
        this.capacity = Number(rest)
        for (const resolve of this.#onSettings.splice(0)) resolve()
        continue
      }
      const ex = this.#end(Number(head))
      if (ex === undefined) this.strays++
      else ex.resolve(rest)
    }
  }

  #failAll(): void {
    for (const id of [...this.#exchanges.keys()]) this.#end(id)?.reject(new Error('closed'))
  }
}

export interface MuxServer {
  readonly port: number
  readonly origin: string
  /** Connections accepted so far. */
  readonly accepted: number
  /** Server-side sockets still open. */
  readonly open: Set<net.Socket>
  /** Exchanges the server is working on now (over all connections), and the most at once. */
  readonly inFlight: number
  readonly maxInFlight: number
  /** Exchanges a client cancelled, as `<client port>:<id>`. */
  readonly cancelled: string[]
  /** Sends `SETTINGS n` down `conn` and waits until the client has applied it. */
  setCapacity(conn: MuxConnection, n: number): Promise<void>
  /** Waits (at most ~2 s) until `test()` holds. */
  until(test: () => boolean): Promise<void>
  /** Waits (at most ~2 s) until every server-side socket has closed; returns how many are still open. */
  drained(): Promise<number>
  close(): Promise<void>
}

export async function startMuxServer({ capacity = 3 }: { capacity?: number } = {}): Promise<MuxServer> {
  const open = new Set<net.Socket>()
  const cancelled: string[] = []
  const state = { accepted: 0, inFlight: 0, maxInFlight: 0 }
  const server = net.createServer((socket) => {
    state.accepted++
    open.add(socket)
    // The server side never keeps the process alive, so liveResources() sees the client side only.
    socket.unref()
    socket.setEncoding('latin1')
    const timers = new Map<string, NodeJS.Timeout>()
    const finish = (id: string): boolean => {
      const timer = timers.get(id)
      if (timer === undefined) return false
      clearTimeout(timer)
      timers.delete(id)
      state.inFlight--
      return true
    }
    let buffered = ''
    socket.on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const [head = '', delay = '0', ...text] = buffered.slice(0, nl).split(' ')
        buffered = buffered.slice(nl + 1)
        if (head === 'CANCEL') {
          if (finish(delay)) cancelled.push(`${socket.remotePort}:${delay}`)
          continue
        }
        const answer = `${head} ${text.join(' ')}\n`
        const timer = setTimeout(() => {
          finish(head)
          if (!socket.destroyed) socket.write(answer)
        }, Number(delay))
        timer.unref()
        timers.set(head, timer)
        state.inFlight++
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
      }
    })
    socket.on('close', () => {
      open.delete(socket)
      for (const id of [...timers.keys()]) finish(id)
    })
    socket.on('error', () => {})
    socket.write(`SETTINGS ${capacity}\n`)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  const until = async (test: () => boolean) => {
    for (let tries = 0; tries < 400 && !test(); tries++) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get accepted() {
      return state.accepted
    },
    get inFlight() {
      return state.inFlight
    },
    get maxInFlight() {
      return state.maxInFlight
    },
    open,
    cancelled,
    async setCapacity(conn, n) {
      const local = conn.socket.localPort
      let peer: net.Socket | undefined
      await until(() => (peer = [...open].find((s) => s.remotePort === local)) !== undefined)
      if (peer === undefined) throw new Error(`no server-side socket for client port ${local}`)
      const applied = conn.nextSettings()
      peer.write(`SETTINGS ${n}\n`)
      await applied
    },
    until,
    async drained() {
      await until(() => open.size === 0)
      return open.size
    },
    close: () => closeServer(server, open),
  }
}

/**
 * A factory dialing the port in `origin`; a connection is delivered once the server's first
 * SETTINGS told it its capacity. It keeps every connection it made in `made`.
 */
export function muxFactory(made: MuxConnection[] = []): ConnectionFactory<MuxConnection> & { made: MuxConnection[] } {
  const factory = (origin: string) =>
    new Promise<MuxConnection>((resolve, reject) => {
      const url = new URL(origin)
      const socket = net.connect({ host: url.hostname, port: Number(url.port) })
      const onError = (err: Error) => reject(new ConnectError(`connect to ${origin} failed`, { cause: err }))
      socket.once('error', onError)
      const conn = new MuxConnection(origin, socket)
      void conn.nextSettings().then(() => {
        socket.removeListener('error', onError)
        made.push(conn)
        resolve(conn)
      })
    })
  return Object.assign(factory, { made })
}
