// Real servers on 127.0.0.1 (or a unix socket) that track the sockets they accept, free ports,
// and daemons (tinyproxy, microsocks, …) run in the foreground as child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import type * as http from 'node:http'
import * as net from 'node:net'
import { sleep } from './time.js'

export interface Started<S extends net.Server> {
  server: S
  port: number
  /** Sockets the server accepted, in order. */
  sockets: net.Socket[]
  close(): Promise<void>
}

export interface StartOptions {
  /** Listen on this unix socket path instead of 127.0.0.1 (`port` is then 0). */
  path?: string
  /**
   * The event whose socket is tracked. @default 'connection' (for a TLS server, the TCP socket;
   * a tunnel's 'connect' socket is the test's to track)
   */
  event?: string
}

/** Listens on 127.0.0.1 (random port) or a unix socket path and tracks accepted sockets so close() can end them. */
export async function start<S extends net.Server>(server: S, opts: StartOptions = {}): Promise<Started<S>> {
  const { path, event = 'connection' } = opts
  const sockets: net.Socket[] = []
  server.on(event, (s: net.Socket) => sockets.push(s))
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)))
  const port = path === undefined ? (server.address() as net.AddressInfo).port : 0
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        if ('closeAllConnections' in server) (server as unknown as http.Server).closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A raw TCP server: `onSocket` decides what (if anything) the client gets. */
export function startRaw(onSocket: (socket: net.Socket) => void, path?: string): Promise<Started<net.Server>> {
  return start(net.createServer(onSocket), path === undefined ? {} : { path })
}

/** A port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

/** True when `command` is on PATH (the proxy daemons are installed by .ci/run). */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

/**
 * Polls until something accepts TCP connections on 127.0.0.1:`port`; throws after `limitMs`, or
 * as soon as `child` (the process meant to listen) exits, with its `output()`.
 */
export async function waitForPort(port: number, opts: { child?: ChildProcess; output?: () => string; limitMs?: number } = {}): Promise<void> {
  const { child, output = () => '', limitMs = 5000 } = opts
  const deadline = Date.now() + limitMs
  for (;;) {
    if (child !== undefined && child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}):\n${output()}`)
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

export interface Daemon {
  port: number
  /** What it wrote so far (stdout and stderr). */
  output(): string
  stop(): Promise<void>
}

/**
 * Runs `command args` in the foreground until stop() (SIGTERM, SIGKILL after 2 s; then removes
 * `cleanupDir`); resolves once it listens on `port`.
 */
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
    await waitForPort(port, { child, output })
  } catch (err) {
    await stop()
    throw err
  }
  return { port, output, stop }
}
