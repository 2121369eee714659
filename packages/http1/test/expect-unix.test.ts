// Expect: 100-continue against real servers, and HTTP over a unix domain socket.
import { mkdtempSync, rmSync } from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import type * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Http1Connection } from '../src/index.js'
import { connect, makeCert, makeRequest, startHttp, startRaw, streamOf, text, until, openConn, useCleanups, type ConnectOptions } from './helpers.js'

const cleanups = useCleanups()

const open = (port: number, extra: Partial<ConnectOptions> = {}): Promise<Http1Connection> => openConn(cleanups, port, extra)

describe('expect: 100-continue', () => {
  test('the body is sent after 100 Continue', async () => {
    let checked = 0
    const srv = await startHttp(() => {})
    srv.server.on('checkContinue', (req, res) => {
      checked++
      expect(req.headers.expect).toBe('100-continue')
      res.writeContinue()
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).toString()}`))
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'PUT', body: Buffer.from('payload'), expectContinue: true }))
    expect(res.status).toBe(200)
    expect(await text(res.body)).toBe('got payload')
    const res2 = await conn.request(makeRequest({ method: 'PUT', body: streamOf(['str', 'eam'], null), expectContinue: true }))
    expect(await text(res2.body)).toBe('got stream')
    expect(checked).toBe(2)
    expect(conn.closed).toBe(false)
  })

  test('a final status instead of 100 (417): the body is never sent, the connection not reused', async () => {
    const received: string[] = []
    const srv = await startRaw((socket) => {
      socket.on('data', (d: Buffer) => {
        received.push(d.toString('latin1'))
        if (received.length === 1) socket.write('HTTP/1.1 417 Expectation Failed\r\ncontent-length: 4\r\n\r\nnope')
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', body: Buffer.from('SECRET-BODY'), expectContinue: true }))
    expect(res.status).toBe(417)
    expect(await text(res.body)).toBe('nope')
    expect(conn.closed).toBe(true)
    await until(() => srv.sockets[0]!.destroyed)
    const all = received.join('')
    expect(all).toContain('expect: 100-continue\r\n')
    expect(all).not.toContain('SECRET-BODY')
  })

  test('a server that ignores Expect gets the body after the 1 s fallback', async () => {
    const received: string[] = []
    const srv = await startRaw((socket) => {
      socket.on('data', (d: Buffer) => {
        received.push(d.toString('latin1'))
        if (received.join('').endsWith('late body')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
      })
    })
    cleanups.push(() => srv.close())
    const conn = await open(srv.port)
    const res = await conn.request(makeRequest({ method: 'POST', body: Buffer.from('late body'), expectContinue: true }))
    expect(await text(res.body)).toBe('ok')
    expect(received.length).toBe(2) // head first, then (after the fallback timer) the body
    expect(received[1]).toBe('late body')
    expect(conn.closed).toBe(false)
  })
})

describe('unix domain socket', () => {
  test('http and https over a unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonic-http1-unix-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'http.sock')
    const server = http.createServer((req, res) => res.end(`unix ${req.headers.host} ${req.url}`))
    await new Promise<void>((r) => server.listen(path, r))
    cleanups.push(() => new Promise((r) => server.close(r)))

    const conn = await connect({ protocol: 'http:', hostname: 'localhost', port: 80, socketPath: path })
    cleanups.push(() => conn.destroy())
    for (let i = 0; i < 3; i++) {
      const res = await conn.request(makeRequest({ path: `/${i}`, authority: 'localhost' }))
      expect(await text(res.body)).toBe(`unix localhost /${i}`)
    }

    const cert = makeCert()
    const tlsPath = join(dir, 'https.sock')
    const secure = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => res.end(`secure ${req.url}`))
    const accepted: net.Socket[] = []
    secure.on('connection', (s: net.Socket) => accepted.push(s))
    await new Promise<void>((r) => secure.listen(tlsPath, r))
    cleanups.push(() => new Promise((r) => (secure.closeAllConnections(), secure.close(r))))
    const tlsConn = await connect({ protocol: 'https:', hostname: 'localhost', port: 443, socketPath: tlsPath, tls: { ca: cert.cert } })
    cleanups.push(() => tlsConn.destroy())
    const res = await tlsConn.request(makeRequest({ path: '/s', authority: 'localhost', scheme: 'https' }))
    expect(await text(res.body)).toBe('secure /s')
    expect(accepted.length).toBe(1)
  })
})
