// Real servers on loopback for the client tests.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

export interface Running<S> {
  server: S
  url: string
  port: number
  close(): Promise<void>
}

function track(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('secureConnection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
}

export async function httpServer(handler: http.RequestListener): Promise<Running<http.Server>> {
  const server = http.createServer({ keepAliveTimeout: 5000 }, handler)
  const close = track(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return { server, port, url: `http://127.0.0.1:${port}`, close }
}

export async function netServer(onSocket: (s: net.Socket) => void): Promise<Running<net.Server>> {
  const server = net.createServer(onSocket)
  const close = track(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return { server, port, url: `http://127.0.0.1:${port}`, close }
}

export interface Cert {
  key: string
  cert: string
  /** sha256 of the certificate's DER, lower-case hex */
  fingerprint: string
}

let cached: Cert | null = null
/** A self-signed certificate for localhost/127.0.0.1, made with the openssl CLI at test time. */
export function selfSigned(): Cert {
  if (cached !== null) return cached
  const dir = mkdtempSync(join(tmpdir(), 'sonic-cert-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' })
    const key = readFileSync(join(dir, 'key.pem'), 'utf8')
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
    const der = Buffer.from(cert.replace(/-----[^-]+-----|\s/g, ''), 'base64')
    const fingerprint = createHash('sha256').update(der).digest('hex')
    cached = { key, cert, fingerprint }
    return cached
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function httpsServer(handler: http.RequestListener, extra: https.ServerOptions = {}): Promise<Running<https.Server>> {
  const { key, cert } = selfSigned()
  const server = https.createServer({ key, cert, ...extra }, handler)
  const close = track(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return { server, port, url: `https://127.0.0.1:${port}`, close }
}

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** Names of active handles that are sockets or timers (for leak checks). */
export function activeNetAndTimers(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout' || r === 'TCPWRAP' || r === 'TLSWrap')
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Registers, for the calling test file, closing after each test everything handed to the returned
 * `using` (clients, servers), last first.
 */
export function useCleanups(): <T extends { close(): Promise<void> }>(x: T) => T {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })
  return (x) => {
    cleanups.push(() => x.close())
    return x
  }
}
