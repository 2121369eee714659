// Starts the bench server in its own process (child_process.fork of dist/server.js), so that the
// server and the clients under test do not share an event loop.
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A bench server running in a child process. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly port: number
  readonly pid: number
  /** Stops the child and waits for it to exit. */
  stop(): Promise<void>
}

/** Path of the built server entry: beside this file in dist/, or ../dist/ when run from src/. */
export function serverEntry(): string {
  const candidates = [new URL('./server.js', import.meta.url), new URL('../dist/server.js', import.meta.url)]
  for (const url of candidates) {
    const path = fileURLToPath(url)
    if (existsSync(path)) return path
  }
  throw new Error('dist/server.js not found: build the bench app first (tsup)')
}

/** Forks the server (on `execPath`, default this Node) and resolves once it listens on 127.0.0.1 on a free port. */
export function startServerProcess(entry = serverEntry(), timeoutMs = 10_000, execPath?: string, args: readonly string[] = [], scheme = 'http'): Promise<ServerProcess> {
  const child = fork(entry, [...args], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(execPath !== undefined && { execPath }) })
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      child.kill('SIGKILL')
      reject(new Error(`bench server did not start within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (msg: { type?: string; port?: number }): void => {
      if (msg?.type !== 'listening' || typeof msg.port !== 'number') return
      cleanup()
      resolve(handle(child, msg.port, scheme))
    }
    const onExit = (code: number | null): void => {
      cleanup()
      reject(new Error(`bench server exited before listening (code ${code})`))
    }
    const onError = (err: Error): void => {
      cleanup()
      reject(err)
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      child.off('error', onError)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

function handle(child: ChildProcess, port: number, scheme: string): ServerProcess {
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        if (child.connected) child.send({ type: 'stop' })
        else child.kill('SIGTERM')
      })
    },
  }
}
