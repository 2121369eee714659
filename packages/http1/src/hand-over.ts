// How a connection takes its socket and gives it up. upgrade(): which requests may leave HTTP (an
// `Upgrade` header, or CONNECT), which answers hand the socket over (a 101, or a 2xx to CONNECT),
// and how the connection lets go of it — paused, undestroyed, with nothing of the connection left
// on it. The exchange itself (write, parse the head) is connection.ts's, as for request().
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { InvalidArgumentError, type BodyReader, type HttpHeaders } from '@sonic/core'
import type { PreparedRequest } from './write-request.js'

/**
 * What upgrade() resolves with. A 101 (to a request with an `Upgrade` header) or a 2xx to CONNECT
 * hands the socket over: `socket` is the caller's, not flowing yet (its first 'data' listener
 * starts it), with nothing of the connection left on it; `head` holds the bytes that arrived after
 * the response head in the same read (a view of the socket's chunk, not of parser memory). Any
 * other answer comes with `socket: null` and its `body`, to read or cancel; the connection then
 * goes on as after request().
 */
export type UpgradeResult =
  | { status: number; statusText: string; headers: HttpHeaders; socket: Duplex; head: Uint8Array }
  | { status: number; statusText: string; headers: HttpHeaders; socket: null; body: BodyReader }

/** The head of a response that hands the socket over, kept until execute() says where it ended. */
export interface HandOverHead {
  readonly status: number
  readonly statusText: string
  readonly headers: HttpHeaders
}

/** The listeners a connection keeps on its socket for as long as it owns it. */
export interface SocketListeners {
  readonly data: (chunk: Buffer) => void
  readonly end: () => void
  readonly error: (err: Error) => void
  readonly close: () => void
}

/**
 * Throws InvalidArgumentError unless `prep` may go through upgrade() (`upgrading`: an `Upgrade`
 * header or a CONNECT, and no body) or through request() (anything but CONNECT, whose 2xx would
 * leave the connection in a tunnel nobody reads).
 */
export function checkExchange(prep: PreparedRequest, upgrading: boolean): void {
  if (upgrading) {
    if (!prep.upgrade && !prep.connect) throw new InvalidArgumentError('upgrade() needs a request with an Upgrade header, or a CONNECT')
    if (prep.stream !== null || prep.chunked || prep.length !== 0) throw new InvalidArgumentError('upgrade() sends no request body')
  } else if (prep.connect) {
    throw new InvalidArgumentError('A CONNECT request opens a tunnel: send it with upgrade(), which hands the socket over')
  }
}

/**
 * True when the final `status` to an upgrade() request hands the socket over: a 101, or a 2xx to
 * CONNECT (which has no body whatever its headers say: RFC 9110 §9.3.6).
 */
export function handsOver(prep: PreparedRequest, status: number): boolean {
  return status === 101 || (prep.connect && status >= 200 && status < 300)
}

/**
 * Makes `socket` the connection's: `listeners` attached, no Nagle delay (requests are small writes
 * answered at once; only a net.Socket or TLSSocket has setNoDelay, a plain Duplex tunnel leaves it
 * to what is under it), flowing. False when the socket is already destroyed.
 */
export function takeSocket(socket: Duplex, listeners: SocketListeners): boolean {
  socket.on('data', listeners.data)
  socket.on('end', listeners.end)
  socket.on('error', listeners.error)
  socket.on('close', listeners.close)
  const setNoDelay = (socket as Partial<Socket>).setNoDelay
  if (typeof setNoDelay === 'function') setNoDelay.call(socket, true)
  if (socket.destroyed) return false
  socket.resume()
  return true
}

/**
 * Lets go of `socket` (the inverse of takeSocket): paused before the 'data' listener goes (so no chunk is emitted to nobody),
 * `listeners` removed, then left neither flowing nor explicitly paused, as node:http leaves a
 * socket before its 'upgrade' event: the new owner's first 'data' listener (or read(), pipe())
 * starts it, and until then bytes wait in its buffer.
 */
export function releaseSocket(socket: Duplex, listeners: SocketListeners): void {
  socket.pause()
  socket.off('data', listeners.data)
  socket.off('end', listeners.end)
  socket.off('error', listeners.error)
  socket.off('close', listeners.close)
  ;(socket as { readableFlowing: boolean | null }).readableFlowing = null
}
