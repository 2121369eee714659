// Shared test fixtures of the proxy tests: real servers on 127.0.0.1, certificates made with the
// openssl CLI (a test CA with a leaf for localhost/127.0.0.1), real proxy daemons started in the
// foreground (tinyproxy), and a leak check (sockets, servers, timers of src/).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { afterEach, beforeEach, expect } from 'vitest'

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves once `cond()` holds; polls every 5 ms, gives up (throws) after `limitMs`. */
export async function until(cond: () => boolean, limitMs = 3000): Promise<void> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited >= limitMs) throw new Error('condition not reached')
    await sleep(5)
  }
}

export interface Started<S extends net.Server> {
  server: S
  port: number
  /** Sockets the server accepted, in order. */
  sockets: net.Socket[]
  close(): Promise<void>
}

/** Listens on 127.0.0.1 (random port) and tracks accepted sockets so close() can end them. */
export async function start<S extends net.Server>(server: S): Promise<Started<S>> {
  const sockets: net.Socket[] = []
  // A TLS server's 'connection' is the TCP socket; a tunnel's 'connect' socket is tracked by the test.
  server.on('connection', (s: net.Socket) => sockets.push(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

export interface KeyPair {
  key: string
  cert: string
}

export interface TestCerts {
  /** The test CA (its certificate is what clients trust). */
  ca: KeyPair
  /** A certificate for localhost and 127.0.0.1 signed by `ca`. */
  leaf: KeyPair
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']

/** Certificates made with the openssl CLI in a temporary directory (removed afterwards). */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-proxy-cert-'))
  const f = (name: string): string => join(dir, name)
  const pair = (name: string): KeyPair => ({ key: readFileSync(f(`${name}.key`), 'utf8'), cert: readFileSync(f(`${name}.pem`), 'utf8') })
  try {
    openssl(['req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', '/CN=sonic proxy test ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    openssl(['req', ...EC, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=localhost'])
    writeFileSync(f('leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n')
    openssl(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '1', '-out', f('leaf.pem'), '-extfile', f('leaf.ext')])
    return { ca: pair('ca'), leaf: pair('leaf') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** True when `command` is on PATH (the proxy daemons are installed by .ci/run). */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

export interface Daemon {
  port: number
  /** What it wrote so far (stdout and stderr). */
  output(): string
  stop(): Promise<void>
}

/** Polls until something accepts TCP connections on 127.0.0.1:`port`. */
async function waitForPort(port: number, child: ChildProcess, output: () => string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}):\n${output()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`the daemon did not listen on ${port}:\n${output()}`)
    await sleep(20)
  }
}

/** Runs `command args` in the foreground until stop(); resolves once it listens on `port`. */
export async function startDaemon(command: string, args: string[], port: number, cleanupDir?: string): Promise<Daemon> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const output = (): string => out
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(timer)
    }
    if (cleanupDir !== undefined) rmSync(cleanupDir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, child, output)
  } catch (err) {
    await stop()
    throw err
  }
  return { port, output, stop }
}

/**
 * tinyproxy on 127.0.0.1 (a free port), run in the foreground with a temporary config: only
 * 127.0.0.1 may use it, CONNECT to `connectPorts` only (all ports when empty), Basic auth when
 * `auth` is given.
 */
export async function startTinyproxy(opts: { auth?: { username: string; password: string }; connectPorts?: number[] } = {}): Promise<Daemon> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sonic-tinyproxy-'))
  const lines = [
    'Listen 127.0.0.1',
    `Port ${port}`,
    'Timeout 30',
    'MaxClients 100',
    'Allow 127.0.0.1',
    'LogLevel Info',
    'DisableViaHeader Yes',
  ]
  if (opts.auth !== undefined) lines.push(`BasicAuth ${opts.auth.username} ${opts.auth.password}`)
  for (const p of opts.connectPorts ?? []) lines.push(`ConnectPort ${p}`)
  const conf = join(dir, 'tinyproxy.conf')
  writeFileSync(conf, `${lines.join('\n')}\n`)
  return startDaemon('tinyproxy', ['-d', '-c', conf], port, dir)
}

// Handles: vitest itself holds none of these but its IPC pipes, so counts are compared with a
// baseline taken before the test.
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap']

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of WATCHED) counts[name] = 0
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r]!++
  return counts
}

// Timers: every timer the code under test (src/) creates is recorded and must be cleared or have
// fired by the end of the test. This observes setTimeout; it does not change what it does.
const ourTimers = new Set<NodeJS.Timeout>()
const SRC_MARK = join('proxy', 'src') + sep
const realSetTimeout = globalThis.setTimeout
const watchedSetTimeout = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
  const timer = realSetTimeout(...args)
  if (new Error().stack?.includes(SRC_MARK)) ourTimers.add(timer)
  return timer
}
Object.assign(watchedSetTimeout, realSetTimeout)
globalThis.setTimeout = watchedSetTimeout as typeof setTimeout

function liveTimers(): number {
  let n = 0
  for (const t of ourTimers) if ((t as unknown as { _destroyed: boolean })._destroyed) ourTimers.delete(t)
  else n++
  return n
}

/** Fails unless every socket, server and library timer the test made is gone (waits up to 2 s for closes). */
export async function expectNoLeaks(baseline: Record<string, number>): Promise<void> {
  const over = (): string[] => {
    const now = countResources()
    const out = WATCHED.filter((k) => now[k]! > baseline[k]!).map((k) => `${k}: ${now[k]} > ${baseline[k]}`)
    const timers = liveTimers()
    if (timers > 0) out.push(`timers left by src/: ${timers}`)
    return out
  }
  const deadline = Date.now() + 2000
  while (over().length > 0 && Date.now() < deadline) await sleep(5)
  const left = over()
  ourTimers.clear()
  expect(left).toEqual([])
}

/**
 * Registers, for the calling test file, cleanups run in reverse after each test followed by the
 * leak check. Returns the list tests push their cleanups onto. Servers started in beforeAll are
 * part of the baseline.
 */
export function useCleanups(): (() => unknown)[] {
  let baseline: Record<string, number> = {}
  const cleanups: (() => unknown)[] = []
  beforeEach(() => {
    baseline = countResources()
  })
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
    await expectNoLeaks(baseline)
  })
  return cleanups
}
