// The benchmark's HTTP/1.1 server on raw `net`: a minimal request-head scanner, precomputed
// responses, keep-alive and pipelining. It is deliberately not node:http — the server must be
// much faster than any client so that the clients are what gets measured.
import net, { type AddressInfo } from 'node:net'
import {
  CONTINUE,
  EchoResponses,
  NOT_FOUND,
  badRequest,
  jsonResponse,
  staticResponses,
} from './server-responses.js'

/** Largest request head accepted; beyond it the server answers 431 and closes. */
export const MAX_HEAD_BYTES = 64 * 1024
const MAX_CHUNK_LINE = 1024

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailer,
}

const enum Route {
  Static,
  Echo,
  Json,
}

interface Shared {
  statics: Map<string, Buffer>
  echo: EchoResponses
}

/** One accepted socket: scans requests out of the byte stream and writes answers in order. */
class ServerConnection {
  readonly #socket: net.Socket
  readonly #shared: Shared
  #pending: Buffer | null = null
  #state = State.Head
  #remaining = 0
  #route = Route.Static
  #response: Buffer = NOT_FOUND
  #received = 0
  #parts: Buffer[] | null = null
  #closeAfter = false
  #done = false

  constructor(socket: net.Socket, shared: Shared) {
    this.#socket = socket
    this.#shared = shared
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', () => socket.destroy())
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk])
    this.#pending = null
    const socket = this.#socket
    socket.cork()
    let off = 0
    try {
      off = this.#consume(buf)
    } finally {
      socket.uncork()
    }
    if (off < 0) return
    if (off < buf.length) this.#pending = buf.subarray(off)
  }

  /** Consumes as much of `buf` as forms whole requests; returns the offset reached, -1 when closed. */
  #consume(buf: Buffer): number {
    let off = 0
    const len = buf.length
    while (off < len) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf('\r\n\r\n', off, 'latin1')
          if (end === -1) {
            if (len - off > MAX_HEAD_BYTES) return this.#fail('431 Request Header Fields Too Large')
            return off
          }
          if (!this.#onHead(buf.toString('latin1', off, end))) return -1
          off = end + 4
          break
        }
        case State.Body: {
          const n = Math.min(this.#remaining, len - off)
          this.#take(buf, off, n)
          off += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#finish()
          break
        }
        case State.ChunkSize: {
          const eol = buf.indexOf('\r\n', off, 'latin1')
          if (eol === -1) {
            if (len - off > MAX_CHUNK_LINE) return this.#fail('400 Bad Request')
            return off
          }
          let line = buf.toString('latin1', off, eol)
          const semi = line.indexOf(';')
          if (semi !== -1) line = line.slice(0, semi)
          line = line.trim()
          const size = /^[0-9a-fA-F]{1,8}$/.test(line) ? parseInt(line, 16) : NaN
          if (Number.isNaN(size)) return this.#fail('400 Bad Request')
          off = eol + 2
          this.#remaining = size
          this.#state = size === 0 ? State.Trailer : State.ChunkData
          break
        }
        case State.ChunkData: {
          const n = Math.min(this.#remaining, len - off)
          this.#take(buf, off, n)
          off += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#state = State.ChunkEnd
          break
        }
        case State.ChunkEnd: {
          if (len - off < 2) return off
          if (buf[off] !== 13 || buf[off + 1] !== 10) return this.#fail('400 Bad Request')
          off += 2
          this.#state = State.ChunkSize
          break
        }
        case State.Trailer: {
          const eol = buf.indexOf('\r\n', off, 'latin1')
          if (eol === -1) {
            if (len - off > MAX_HEAD_BYTES) return this.#fail('431 Request Header Fields Too Large')
            return off
          }
          const empty = eol === off
          off = eol + 2
          if (empty) this.#finish()
          break
        }
      }
      if (this.#done) return -1
    }
    return off
  }

  /** Reads the request line and the few headers that matter; false when the request is refused. */
  #onHead(head: string): boolean {
    const sp1 = head.indexOf(' ')
    const sp2 = sp1 > 0 ? head.indexOf(' ', sp1 + 1) : -1
    const eol = head.indexOf('\r\n')
    const lineEnd = eol === -1 ? head.length : eol
    if (sp1 <= 0 || sp2 === -1 || sp2 > lineEnd || !head.startsWith('HTTP/1.', sp2 + 1)) {
      this.#fail('400 Bad Request')
      return false
    }
    let path = head.slice(sp1 + 1, sp2)
    const q = path.indexOf('?')
    if (q !== -1) path = path.slice(0, q)
    if (path.startsWith('http://') || path.startsWith('https://')) path = new URL(path).pathname

    const lower = eol === -1 ? '' : head.slice(eol).toLowerCase()
    const http10 = head.startsWith('0', sp2 + 8)
    this.#closeAfter = http10 ? !hasToken(lower, 'connection', 'keep-alive') : hasToken(lower, 'connection', 'close')

    if (path === '/echo') this.#route = Route.Echo
    else if (path === '/json') this.#route = Route.Json
    else {
      this.#route = Route.Static
      this.#response = this.#shared.statics.get(path) ?? NOT_FOUND
    }
    this.#received = 0
    this.#parts = this.#route === Route.Json ? [] : null

    const chunked = hasToken(lower, 'transfer-encoding', 'chunked')
    const cl = headerValue(lower, 'content-length')
    let length = 0
    if (!chunked && cl !== undefined) {
      length = /^\d{1,15}$/.test(cl) ? Number(cl) : NaN
      if (Number.isNaN(length)) {
        this.#fail('400 Bad Request')
        return false
      }
    }
    if ((chunked || length > 0) && hasToken(lower, 'expect', '100-continue')) this.#socket.write(CONTINUE)
    if (chunked) this.#state = State.ChunkSize
    else if (length > 0) {
      this.#state = State.Body
      this.#remaining = length
    } else this.#finish()
    return true
  }

  #take(buf: Buffer, off: number, n: number): void {
    this.#received += n
    if (this.#parts !== null && n > 0) this.#parts.push(buf.subarray(off, off + n))
  }

  /** The request is complete: write its answer. */
  #finish(): void {
    this.#state = State.Head
    let res: Buffer
    if (this.#route === Route.Static) res = this.#response
    else if (this.#route === Route.Echo) res = this.#shared.echo.get(this.#received)
    else {
      const parts = this.#parts ?? []
      res = jsonResponse(parts.length === 1 ? parts[0]! : Buffer.concat(parts))
    }
    this.#parts = null
    this.#socket.write(res)
    if (this.#closeAfter) {
      this.#done = true
      this.#socket.end()
    }
  }

  #fail(status: string): number {
    this.#done = true
    this.#socket.end(badRequest(status))
    return -1
  }
}

/** Value of header `name` in a lower-cased header block that starts with CRLF, trimmed. */
function headerValue(lower: string, name: string): string | undefined {
  const at = lower.indexOf(`\r\n${name}:`)
  if (at === -1) return undefined
  const start = at + name.length + 3
  const end = lower.indexOf('\r\n', start)
  return lower.slice(start, end === -1 ? lower.length : end).trim()
}

function hasToken(lower: string, name: string, token: string): boolean {
  const value = headerValue(lower, name)
  return value !== undefined && value.split(',').some((t) => t.trim() === token)
}

/** A running bench server. */
export interface BenchServer {
  /** Starts listening; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>
  /** The bound address (after `listen`). */
  readonly address: AddressInfo
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>
}

/** Creates the raw-`net` bench server (routes: /small, /64k, /1m, /chunked-1m, /echo, /json). */
export function createBenchServer(): BenchServer {
  const shared: Shared = { statics: staticResponses(), echo: new EchoResponses() }
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    new ServerConnection(socket, shared)
  })
  return {
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port, host, backlog: 1024 }, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      })
    },
    get address() {
      return server.address() as AddressInfo
    },
    close() {
      return new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        if (!server.listening) return resolve()
        server.close(() => resolve())
      })
    },
  }
}
