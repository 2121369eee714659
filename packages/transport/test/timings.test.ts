// Connect timings on Connected: when DNS, TCP and TLS ended, against real servers on 127.0.0.1.
import * as net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { beforeAll, describe, expect, test } from 'vitest'
import { TcpTransport, UnixTransport, type Connected } from '../src/index.js'
import { fixedResolver, makeCerts, start, startTlsServer, useCleanups, type TestCerts } from './helpers.js'

let certs: TestCerts
const cleanups = useCleanups()
beforeAll(() => {
  certs = makeCerts()
})

async function plainServer(path?: string) {
  const srv = await start(net.createServer((s) => s.on('error', () => {})), path)
  cleanups.push(() => srv.close())
  return srv
}

function keep(c: Connected): Connected {
  cleanups.push(() => c.socket.destroy())
  return c
}

describe('Connected.timings', () => {
  test('plain TCP to an IP literal: no DNS, no TLS, connect after start', async () => {
    const srv = await plainServer()
    const t = new TcpTransport()
    cleanups.push(() => t.close())
    const before = performance.now()
    const c = keep(await t.connect({ protocol: 'http:', hostname: '127.0.0.1', port: srv.port }))
    const after = performance.now()
    const tm = c.timings!
    expect(tm).toBeDefined()
    expect(tm.dns).toBeNull()
    expect(tm.tls).toBeNull()
    expect(tm.start).toBeGreaterThanOrEqual(before)
    expect(tm.connect).toBeGreaterThanOrEqual(tm.start)
    expect(tm.connect).toBeLessThanOrEqual(after)
  })

  test('a host name: the DNS answer is timed, before the connect; no lookup listener is left', async () => {
    const srv = await plainServer()
    const resolver = fixedResolver({ 'svc.test': ['127.0.0.1'] })
    const t = new TcpTransport({ resolver })
    cleanups.push(() => t.close())
    const c = keep(await t.connect({ protocol: 'http:', hostname: 'svc.test', port: srv.port }))
    const tm = c.timings!
    expect(resolver.asked).toContain('svc.test')
    expect(tm.dns).not.toBeNull()
    expect(tm.dns!).toBeGreaterThanOrEqual(tm.start)
    expect(tm.connect).toBeGreaterThanOrEqual(tm.dns!)
    expect(tm.tls).toBeNull()
    expect(c.socket.listenerCount('lookup')).toBe(0)
  })

  test('TLS: the handshake ends after the TCP connect', async () => {
    const srv = await startTlsServer(certs.leaf)
    cleanups.push(() => srv.close())
    const t = new TcpTransport()
    cleanups.push(() => t.close())
    const c = keep(await t.connect({ protocol: 'https:', hostname: '127.0.0.1', port: srv.port, tls: { ca: certs.ca.cert } }))
    const tm = c.timings!
    expect(tm.dns).toBeNull()
    expect(tm.tls).not.toBeNull()
    expect(tm.tls!).toBeGreaterThanOrEqual(tm.connect)
  })

  test('a unix socket: connect timed, no DNS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonic-timings-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 's.sock')
    await plainServer(path)
    const t = new UnixTransport({ path })
    cleanups.push(() => t.close())
    const c = keep(await t.connect({ protocol: 'http:', hostname: 'localhost', port: 80 }))
    expect(c.timings!.dns).toBeNull()
    expect(c.timings!.tls).toBeNull()
    expect(c.timings!.connect).toBeGreaterThanOrEqual(c.timings!.start)
  })
})
