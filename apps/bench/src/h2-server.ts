// The h2 side of the bench: a self-signed certificate made with the openssl CLI in a temp dir, and
// the embedded HTTP/2 server (http2.createSecureServer, ALPN h2 only, allowHTTP1 off) that answers
// the static routes the h2 workloads use. `node dist/server.js --h2-cert C --h2-key K` runs it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SIZE_1M, SIZE_64K, SMALL_BODY, filler } from './server-responses.js'

/** A self-signed certificate for 127.0.0.1 / localhost, as files in a temp dir and as PEM text. */
export interface BenchCert {
  readonly dir: string
  readonly certPath: string
  readonly keyPath: string
  readonly cert: string
  readonly key: string
  /** Removes the temp dir. */
  remove(): void
}

/** Makes the certificate with `openssl req -x509` (the openssl CLI must be on PATH). */
export function makeCert(): BenchCert {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-bench-tls-'))
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyPath, '-out', certPath],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 },
    )
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`openssl could not make the bench certificate: ${(err as Error).message.split('\n')[0]}`)
  }
  return { dir, certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The embedded h2 server. */
export interface H2BenchServer {
  listen(port?: number, host?: string): Promise<AddressInfo>
  close(): Promise<void>
}

/** Answers GET /small, /64k, /1m over h2 (the same bytes as the HTTP/1.1 server), 404 otherwise. */
export function createH2BenchServer(tls: { cert: string; key: string }): H2BenchServer {
  const bodies = new Map<string, Buffer>([
    ['/small', Buffer.from(SMALL_BODY, 'latin1')],
    ['/64k', filler(SIZE_64K)],
    ['/1m', filler(SIZE_1M)],
  ])
  const server = http2.createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: false, settings: { maxConcurrentStreams: 128 } })
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (s) => {
    sessions.add(s)
    s.once('close', () => sessions.delete(s))
    s.on('error', () => undefined)
  })
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined)
    const body = headers[':method'] === 'GET' ? bodies.get(String(headers[':path'])) : undefined
    if (body === undefined) {
      stream.respond({ ':status': 404, 'content-length': 9 })
      stream.end('not found')
      return
    }
    stream.respond({ ':status': 200, 'content-type': 'application/octet-stream', 'content-length': body.length })
    stream.end(body)
  })
  return {
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy()
        server.close(() => resolve())
      }),
  }
}
