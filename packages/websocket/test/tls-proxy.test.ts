// wss:// against a TLS `ws` server with test certificates (CA trust, verify: false, pinning), and
// ws:// and wss:// through tinyproxy's CONNECT tunnel (HttpProxy from @sonic/proxy as `proxy`,
// or its tunnel as `transport`).
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FingerprintMismatchError, ProxyError, isSonicError } from '@sonic/core'
import { HttpProxy, SocksProxy } from '@sonic/proxy'
import { TcpTransport } from '@sonic/transport'
import { wsConnect } from '../src/index.js'
import { echo, freePort, hasCommand, makeCerts, startDaemon, startTinyproxy, startWs, useCleanups, type Daemon, type TestCerts, type WsServer } from './helpers.js'

describe('wss:// and proxies', () => {
  let certs: TestCerts
  let tlsServer: https.Server
  let wssPort: number
  let plain: WsServer
  beforeAll(async () => {
    certs = makeCerts()
    tlsServer = https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert })
    const wss = new WebSocketServer({ server: tlsServer })
    wss.on('connection', echo)
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r))
    wssPort = (tlsServer.address() as AddressInfo).port
    plain = await startWs({}, echo)
  })
  afterAll(async () => {
    tlsServer.closeAllConnections()
    await new Promise((r) => tlsServer.close(r))
    await plain.close()
  })
  const cleanups = useCleanups()

  test('wss:// with the test CA', async () => {
    const ws = await wsConnect(`wss://localhost:${wssPort}/`, { tls: { ca: certs.ca.cert } })
    cleanups.push(() => ws.close())
    await ws.sendStr('secure ✓')
    expect(await ws.receiveStr()).toBe('secure ✓')
  })

  test('wss:// without trusting the CA fails; verify: false connects; a wrong pin → FingerprintMismatchError', async () => {
    const err = await wsConnect(`wss://localhost:${wssPort}/`).catch((e: unknown) => e)
    expect(isSonicError(err)).toBe(true)
    const ws = await wsConnect(`wss://127.0.0.1:${wssPort}/`, { verify: false })
    cleanups.push(() => ws.close())
    await ws.sendStr('unverified')
    expect(await ws.receiveStr()).toBe('unverified')
    const pinned = await wsConnect(`wss://localhost:${wssPort}/`, { tls: { ca: certs.ca.cert, fingerprint: '00'.repeat(32) } }).catch((e: unknown) => e)
    expect(pinned).toBeInstanceOf(FingerprintMismatchError)
  })

  describe.skipIf(!hasCommand('tinyproxy'))('through tinyproxy (CONNECT)', () => {
    let tinyproxy: Daemon
    const AUTH = { username: 'sonic', password: 'ws-pass' }
    beforeAll(async () => {
      tinyproxy = await startTinyproxy(AUTH)
    })
    afterAll(() => tinyproxy?.stop())
    const proxyUrl = (): string => `http://${AUTH.username}:${AUTH.password}@127.0.0.1:${tinyproxy.port}`

    test('ws:// through a CONNECT tunnel (proxy option)', async () => {
      const before = (tinyproxy.output().match(/Request \(file descriptor \d+\): CONNECT /g) ?? []).length
      const ws = await wsConnect(plain.url, { proxy: new HttpProxy(proxyUrl()) })
      cleanups.push(() => ws.close())
      await ws.sendStr('via proxy')
      expect(await ws.receiveStr()).toBe('via proxy')
      expect((tinyproxy.output().match(/Request \(file descriptor \d+\): CONNECT /g) ?? []).length).toBeGreaterThan(before)
    })

    test('wss:// through the tunnel given as the transport', async () => {
      const tcp = new TcpTransport()
      cleanups.push(() => tcp.close())
      const transport = new HttpProxy(proxyUrl()).tunnel(tcp)
      const ws = await wsConnect(`wss://localhost:${wssPort}/`, { transport, tls: { ca: certs.ca.cert } })
      cleanups.push(() => ws.close())
      const big = new Uint8Array(300000).fill(5)
      await ws.sendBytes(big)
      expect((await ws.receiveBytes()).length).toBe(300000)
    })

    test('wrong proxy credentials → ProxyError', async () => {
      const err = await wsConnect(plain.url, { proxy: new HttpProxy(`http://sonic:nope@127.0.0.1:${tinyproxy.port}`) }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ProxyError)
    })
  })

  describe.skipIf(!hasCommand('microsocks'))('through microsocks (SOCKS5)', () => {
    let socks: Daemon
    beforeAll(async () => {
      const port = await freePort()
      socks = await startDaemon('microsocks', ['-i', '127.0.0.1', '-p', String(port)], port)
    })
    afterAll(() => socks?.stop())

    test('ws:// and wss:// through a SOCKS5 tunnel', async () => {
      const ws = await wsConnect(plain.url, { proxy: new SocksProxy(`socks5://127.0.0.1:${socks.port}`) })
      cleanups.push(() => ws.close())
      await ws.sendStr('via socks')
      expect(await ws.receiveStr()).toBe('via socks')
      const wss = await wsConnect(`wss://localhost:${wssPort}/`, { proxy: new SocksProxy(`socks5h://127.0.0.1:${socks.port}`), tls: { ca: certs.ca.cert } })
      cleanups.push(() => wss.close())
      await wss.sendStr('via socks, tls')
      expect(await wss.receiveStr()).toBe('via socks, tls')
    })
  })
})
