// The forward proxy of the proxy workloads: a tinyproxy the bench starts itself (never installs),
// with a temporary config, on a free loopback port. It is killed when the workload ends, and also
// when the bench exits or is interrupted, so no tinyproxy outlives the run.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** A tinyproxy running as a child of the bench. */
export interface ProxyProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  readonly pid: number
  /** Kills the proxy, waits for it to exit and removes its config. */
  stop(): Promise<void>
}

/** Looks a program up on `path` (default: $PATH); its full path when executable, else undefined. */
export function findOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** A free TCP port on 127.0.0.1 (taken from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** The config the bench gives tinyproxy: loopback only, quiet, enough clients for 10+ in flight. */
export function tinyproxyConfig(port: number): string {
  return ['Port ' + port, 'Listen 127.0.0.1', 'Allow 127.0.0.1', 'MaxClients 100', 'LogLevel Critical', ''].join('\n')
}

/** Resolves once something accepts connections on 127.0.0.1:`port`, rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean = () => true, what = 'tinyproxy'): Promise<void> {
  const until = performance.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (!alive()) throw new Error(`${what} exited before it listened`)
    if (performance.now() > until) throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

// Every proxy still running (with its config folder), killed synchronously if the bench exits or
// is interrupted first.
const running = new Map<ChildProcess, string>()
const killAll = (): void => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  running.clear()
}
const onSignal = (signal: NodeJS.Signals): void => {
  killAll()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.kill(process.pid, signal)
}

function track(child: ChildProcess, dir: string): void {
  if (running.size === 0) {
    process.on('exit', killAll)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  running.set(child, dir)
}

function untrack(child: ChildProcess): void {
  running.delete(child)
  if (running.size === 0) {
    process.off('exit', killAll)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Starts `tinyproxy -d -c <temp conf>` on a free port and resolves once it accepts connections. */
export async function startTinyproxy(binary: string, timeoutMs = 5000): Promise<ProxyProcess> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sonic-bench-tinyproxy-'))
  const conf = join(dir, 'tinyproxy.conf')
  writeFileSync(conf, tinyproxyConfig(port))
  const child = spawn(binary, ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  track(child, dir)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 2000) stderr += s
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  let spawnError: Error | undefined
  child.once('error', (err) => {
    spawnError = err
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(timer)
    }
    untrack(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, timeoutMs, () => spawnError === undefined && child.exitCode === null && child.signalCode === null)
  } catch (err) {
    await stop()
    const why = spawnError?.message ?? (err as Error).message
    throw new Error(stderr.trim() ? `${why}: ${stderr.trim()}` : why)
  }
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid ?? -1, stop }
}
