// Interop with HTTP/2 servers that are not node: nghttpd (Debian nghttp2-server, nghttp2's own
// server) over TLS with ALPN h2 and over h2c, and nginx with `http2` on a TLS listener. Each is
// started by the test on a free port with a temporary certificate and root. .ci/run installs both;
// when a binary is missing here the suite is skipped with a message saying which (never counted
// as a pass in CI, where they are installed).
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, hasCommand, startDaemon, type Daemon } from '@sonic/test-utils'
import { Http2MultiplexPool, type Http2BodyReader, type Http2Connection } from '../src/index.js'
import { connectTo, leaks, makeRequest, testCert, text } from './helpers.js'

const cleanups = leaks.useCleanups()

const MiB = 1024 * 1024
const big = Buffer.alloc(MiB)
for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** A temp dir with the certificate, key and a root holding `hello.txt` and `big.bin` (1 MiB). */
function makeRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-h2-interop-'))
  chmodSync(dir, 0o755) // nginx's workers run as another user when the test runs as root
  mkdirSync(join(dir, 'www'))
  chmodSync(join(dir, 'www'), 0o755)
  writeFileSync(join(dir, 'www', 'hello.txt'), 'hello from the server\n')
  writeFileSync(join(dir, 'www', 'big.bin'), big)
  writeFileSync(join(dir, 'cert.pem'), testCert().cert)
  writeFileSync(join(dir, 'key.pem'), testCert().key)
  return dir
}

async function commonChecks(server: { port: number; origin: string }, scheme: 'http' | 'https', streams: number): Promise<void> {
  const conn = await connectTo(server)
  cleanups.push(() => conn.destroy())
  expect(conn.capacity).toBe(streams)
  const authority = `127.0.0.1:${server.port}`
  const res = await conn.request(makeRequest({ path: '/hello.txt', scheme, authority }))
  expect(res.status).toBe(200)
  expect(res.httpVersion).toBe('2')
  expect(await text(res.body)).toBe('hello from the server\n')
  const bigRes = await conn.request(makeRequest({ path: '/big.bin', scheme, authority }))
  expect(bigRes.body.length).toBe(MiB)
  expect(sha(await bigRes.body.readAll())).toBe(sha(big))
  const missing = await conn.request(makeRequest({ path: '/nope', scheme, authority }))
  expect(missing.status).toBe(404)
  await missing.body.readAll()

  // 60 concurrent requests through the multiplexing pool: sessions of `streams` streams each.
  let connects = 0
  const pool = new Http2MultiplexPool<Http2Connection>({ size: 10 }, async () => {
    connects++
    return connectTo(server)
  })
  cleanups.push(() => pool.close())
  const bodies = await Promise.all(
    Array.from({ length: 60 }, async () => {
      const c = await pool.acquire(server.origin)
      try {
        const r = await c.request(makeRequest({ path: '/hello.txt', scheme, authority }))
        return await text(r.body)
      } finally {
        pool.release(c)
      }
    }),
  )
  expect(bodies.every((b) => b === 'hello from the server\n')).toBe(true)
  expect(connects).toBeGreaterThanOrEqual(1)
  expect(connects).toBeLessThanOrEqual(Math.ceil(60 / streams))
}

describe.skipIf(!hasCommand('nghttpd'))('interop: nghttpd', () => {
  let dir = ''
  let tlsd: Daemon
  let h2cd: Daemon
  beforeAll(async () => {
    dir = makeRoot()
    const common = ['-a', '127.0.0.1', '-d', join(dir, 'www'), '-m', '10', '--trailer=x-served-by: nghttpd', '--echo-upload']
    const tlsPort = await freePort()
    tlsd = await startDaemon('nghttpd', [...common, String(tlsPort), join(dir, 'key.pem'), join(dir, 'cert.pem')], tlsPort)
    const h2cPort = await freePort()
    h2cd = await startDaemon('nghttpd', [...common, '--no-tls', String(h2cPort)], h2cPort, dir)
  })
  afterAll(async () => {
    await tlsd?.stop()
    await h2cd?.stop()
  })

  it('TLS with ALPN h2: files, 404, capacity from its SETTINGS, concurrent streams through the pool', async () => {
    await commonChecks({ port: tlsd.port, origin: `https://127.0.0.1:${tlsd.port}` }, 'https', 10)
  })

  it('h2c with prior knowledge: the same', async () => {
    await commonChecks({ port: h2cd.port, origin: `http://127.0.0.1:${h2cd.port}` }, 'http', 10)
  })

  it('trailers and an echoed upload', async () => {
    const conn = await connectTo({ port: h2cd.port, origin: `http://127.0.0.1:${h2cd.port}` })
    cleanups.push(() => conn.destroy())
    const res = await conn.request(makeRequest({ path: '/hello.txt', authority: `127.0.0.1:${h2cd.port}` }))
    const body = res.body as Http2BodyReader
    await body.readAll()
    expect(body.trailers?.get('x-served-by')).toBe('nghttpd')
    const up = await conn.request(makeRequest({ method: 'POST', path: '/hello.txt', authority: `127.0.0.1:${h2cd.port}`, body: big }))
    expect(up.status).toBe(200)
    expect(sha(await up.body.readAll())).toBe(sha(big))
  })
})

describe.skipIf(!hasCommand('nginx'))('interop: nginx with http2', () => {
  let dir = ''
  let nginx: Daemon
  beforeAll(async () => {
    dir = makeRoot()
    const port = await freePort()
    const root = process.getuid?.() === 0
    const conf = [
      ...(root ? [`user ${userInfo().username};`] : []),
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/client_body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      '  http2_max_concurrent_streams 16;',
      '  server {',
      `    listen 127.0.0.1:${port} ssl http2;`,
      `    ssl_certificate ${dir}/cert.pem;`,
      `    ssl_certificate_key ${dir}/key.pem;`,
      `    root ${dir}/www;`,
      '  }',
      '}',
      '',
    ].join('\n')
    writeFileSync(join(dir, 'nginx.conf'), conf)
    nginx = await startDaemon('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], port, dir)
  })
  afterAll(async () => {
    await nginx?.stop()
  })

  it('TLS with ALPN h2: files, 404, capacity from its SETTINGS, concurrent streams through the pool', async () => {
    await commonChecks({ port: nginx.port, origin: `https://127.0.0.1:${nginx.port}` }, 'https', 16)
  })
})

if (!hasCommand('nghttpd')) console.warn('interop.test.ts: nghttpd not found (Debian nghttp2-server): the nghttpd interop tests are SKIPPED')
if (!hasCommand('nginx')) console.warn('interop.test.ts: nginx not found (Debian nginx): the nginx interop test is SKIPPED')
