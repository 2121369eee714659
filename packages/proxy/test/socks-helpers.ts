// Fixtures of the SOCKS tests: microsocks started in the foreground, a tiny scripted SOCKS server
// (for the failures a real proxy will not produce on demand), raw HTTP over a tunnel, and a leak
// check. The leak check counts sockets, servers and the timers whose caller is sonic's own code
// (proxy/src, transport): the `socks` package arms one unref'd timer per handshake that it never
// clears — it outlives the handshake by design (see socks-proxy.ts) and is checked on its own.
import * as net from 'node:net'
import type { Duplex } from 'node:stream'
import { NET_HANDLES, callerFrame, createLeakCheck, freePort, hasCommand, observeTimers, start, startDaemon, type Daemon, type Started } from '@sonic/test-utils'

export { live } from '@sonic/test-utils'

export const hasMicrosocks = hasCommand('microsocks')

/** microsocks on 127.0.0.1 (a free port); with `auth` it requires that username and password. */
export async function startMicrosocks(auth?: { username: string; password: string }): Promise<Daemon> {
  const port = await freePort()
  const args = ['-i', '127.0.0.1', '-p', String(port)]
  if (auth !== undefined) args.push('-u', auth.username, '-P', auth.password)
  return startDaemon('microsocks', args, port)
}

/** Writes a raw HTTP/1.1 request (Connection: close) on `socket` and resolves with the whole answer. */
export function rawGet(socket: Duplex, host: string, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (got += d))
    socket.on('end', () => resolve(got))
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  })
}

/** What the scripted server does once it has read a client's whole SOCKS5 request. */
export type Socks5Script = (socket: net.Socket, request: Socks5Request) => void

export interface Socks5Request {
  /** 1 IPv4, 3 name, 4 IPv6. */
  atyp: number
  host: string
  port: number
}

/**
 * A SOCKS5 server speaking just enough RFC 1928: it accepts "no authentication", reads the
 * CONNECT request and hands it to `script` (which answers, or not). `onGreeting` may instead take
 * over right after the greeting (e.g. to hang up). Every request seen is in `requests`.
 */
export async function startScriptedSocks5(script: Socks5Script, onGreeting?: (socket: net.Socket) => boolean): Promise<Started<net.Server> & { requests: Socks5Request[] }> {
  const requests: Socks5Request[] = []
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    let greeted = false
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d])
      if (!greeted) {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return
        buf = buf.subarray(2 + buf[1]!)
        greeted = true
        if (onGreeting?.(socket) === true) {
          socket.off('data', onData)
          return
        }
        socket.write(Buffer.from([5, 0]))
      }
      if (buf.length < 5) return
      const atyp = buf[3]!
      const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + buf[4]!
      if (buf.length < 4 + addrLen + 2) return
      const addr = buf.subarray(4, 4 + addrLen)
      const host = atyp === 1 ? [...addr].join('.') : atyp === 4 ? ipv6(addr) : addr.subarray(1).toString('latin1')
      const request = { atyp, host, port: buf.readUInt16BE(4 + addrLen) }
      requests.push(request)
      socket.off('data', onData)
      script(socket, request)
    }
    socket.on('data', onData)
  })
  return Object.assign(await start(server), { requests })
}

function ipv6(b: Buffer): string {
  const parts: string[] = []
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16))
  return parts.join(':')
}

/** A SOCKS5 reply with REP `rep` (bound address 0.0.0.0:0). */
export function socks5Reply(rep: number): Buffer {
  return Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0])
}

// The caller of setTimeout is the first frame outside the test fixtures (here and in @sonic/test-utils).
const OURS = /[\\/](proxy[\\/]src|transport[\\/](src|dist))[\\/]/
const FIXTURE = /[\\/]proxy[\\/]test[\\/]/
const leaks = createLeakCheck({ ours: (stack) => OURS.test(callerFrame(stack, FIXTURE)), handles: NET_HANDLES, label: 'sonic' })

/** Timers armed by the socks package (its handshake limit), kept apart. */
export const socksTimers = new Set<NodeJS.Timeout>()
observeTimers((timer, stack) => {
  const caller = callerFrame(stack, FIXTURE)
  if (!OURS.test(caller) && /[\\/]socks[\\/]build[\\/]/.test(caller)) socksTimers.add(timer)
})

/** Fails unless every socket, server and timer of sonic's code the test made is gone (waits up to 2 s for closes). */
export const expectNoLeaks = leaks.expectNoLeaks
/** Cleanups run in reverse after each test, then the leak check; servers of beforeAll are in the baseline. */
export const useCleanups = leaks.useCleanups
