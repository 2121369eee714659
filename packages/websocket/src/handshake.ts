// The opening handshake of RFC 6455 §4.1: the request's WebSocket headers (a random 16-byte key),
// and the checks of the server's 101 (Upgrade, Connection, Sec-WebSocket-Accept = base64 of the
// sha1 of key + GUID, the subprotocol chosen among ours, the extensions we offered).
import { createHash, randomBytes } from 'node:crypto'
import { WebSocketError, type HttpHeaders } from '@sonic/core'
import { acceptExtensions, type DeflateOffer, type DeflateParams } from './permessage-deflate.js'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** A fresh Sec-WebSocket-Key. */
export function makeKey(): string {
  return randomBytes(16).toString('base64')
}

/** The Sec-WebSocket-Accept a server must answer `key` with. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64')
}

/** The WebSocket headers of the upgrade request, flat. */
export function handshakeHeaders(key: string, protocols: readonly string[], deflate: DeflateOffer | null): string[] {
  const h = ['connection', 'Upgrade', 'upgrade', 'websocket', 'sec-websocket-key', key, 'sec-websocket-version', '13']
  if (protocols.length > 0) h.push('sec-websocket-protocol', protocols.join(', '))
  if (deflate !== null) h.push('sec-websocket-extensions', deflate.header)
  return h
}

/** What a valid 101 agreed. */
export interface Agreed {
  readonly protocol: string | null
  readonly extensions: string | null
  readonly deflate: DeflateParams | null
}

function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false
  return value.split(',').some((t) => t.trim().toLowerCase() === token)
}

/** Checks a 101's headers → WebSocketError (status 101) when the server broke §4.1. */
export function checkResponse(headers: HttpHeaders, key: string, protocols: readonly string[], deflate: DeflateOffer | null): Agreed {
  const fail = (why: string): never => {
    throw new WebSocketError(`Invalid WebSocket handshake: ${why}`, { status: 101 })
  }
  if (!hasToken(headers.get('upgrade'), 'websocket')) fail(`Upgrade is ${JSON.stringify(headers.get('upgrade'))}, not websocket`)
  if (!hasToken(headers.get('connection'), 'upgrade')) fail(`Connection is ${JSON.stringify(headers.get('connection'))}, not upgrade`)
  const accept = headers.get('sec-websocket-accept')
  if (accept === null || accept.trim() !== acceptFor(key)) fail('Sec-WebSocket-Accept does not match the key')
  const chosen = headers.getAll('sec-websocket-protocol')
  let protocol: string | null = null
  if (chosen.length > 0) {
    const p = chosen.length === 1 ? chosen[0]!.trim() : ''
    if (!protocols.includes(p)) fail(`the server chose the subprotocol ${JSON.stringify(chosen.join(', '))}, which we did not offer`)
    protocol = p
  }
  const extValues = headers.getAll('sec-websocket-extensions')
  const extensions = extValues.length === 0 ? null : extValues.join(', ')
  let params: DeflateParams | null = null
  try {
    params = acceptExtensions(extensions, deflate)
  } catch (err) {
    fail((err as Error).message)
  }
  return { protocol, extensions, deflate: params }
}
