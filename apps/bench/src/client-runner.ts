// How the bench runs a client: in a forked worker process of its own (the default: one per peer
// and workload, see worker.ts), or inline in the bench's own process (`--inline`, and tests that
// bring peers of their own). Both give the same RunResult.
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PeerUnavailableError, type Peer, type PeerConfig, type PeerDefinition } from './peers/peer.js'
import { timedRun, type RunResult } from './runner.js'
import { isFromWorker, type FromWorker, type ToWorker } from './worker-protocol.js'
import type { PreparedWorkload } from './workloads.js'

/** One client set up for one workload. */
export interface ClientRunner {
  /** Sets the client up; throws PeerUnavailableError when its library cannot load. */
  setup(cfg: PeerConfig): Promise<void>
  /** One measured run of `durationMs` (a run still going `hangMs` after it fails). */
  run(durationMs: number, hangMs?: number): Promise<RunResult>
  /** Tears the client down (and ends its process). */
  close(): Promise<void>
  /** Pid of the process the client runs in. */
  readonly pid: number | undefined
  /** Node and peer library versions in that process (after setup). */
  readonly versions: Record<string, string> | undefined
}

/** Runs `def` in this process. */
export class InlineRunner implements ClientRunner {
  readonly #peer: Peer
  readonly #w: PreparedWorkload
  readonly pid = process.pid
  readonly versions = undefined

  constructor(def: PeerDefinition, w: PreparedWorkload) {
    this.#peer = def.create()
    this.#w = w
  }

  setup(cfg: PeerConfig): Promise<void> {
    return this.#peer.setup(cfg)
  }

  run(durationMs: number, hangMs?: number): Promise<RunResult> {
    return timedRun(this.#peer, this.#w, durationMs, hangMs)
  }

  close(): Promise<void> {
    return this.#peer.teardown()
  }
}

/** Path of the built worker entry: beside this file in dist/, or ../dist/ when run from src/. */
export function workerEntry(): string {
  for (const url of [new URL('./worker.js', import.meta.url), new URL('../dist/worker.js', import.meta.url)]) {
    const path = fileURLToPath(url)
    if (existsSync(path)) return path
  }
  throw new Error('dist/worker.js not found: build the bench app first (tsup)')
}

/** Options of a worker process. */
export interface WorkerOptions {
  /** Node binary for the worker (default: this process's). */
  readonly execPath?: string
  /** The worker script (default: workerEntry()). */
  readonly entry?: string
  /** Extra margin past a run's own hang limit before the worker is killed, ms. */
  readonly killAfterMs?: number
}

/** Every worker still running, killed if the bench exits first. */
const workers = new Set<ChildProcess>()
const killAll = (): void => {
  for (const c of workers) c.kill('SIGKILL')
  workers.clear()
}

/**
 * Runs peer `peer` on workload `workload` in a forked worker (`node dist/worker.js`).
 * The worker is started by setup() and ends with close(), or is killed when it stops answering.
 */
export class ProcessRunner implements ClientRunner {
  readonly #peer: string
  readonly #workload: string
  readonly #opts: WorkerOptions
  #child: ChildProcess | undefined
  #pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined
  #exit: Promise<void> | undefined
  versions: Record<string, string> | undefined

  constructor(peer: string, workload: string, opts: WorkerOptions = {}) {
    this.#peer = peer
    this.#workload = workload
    this.#opts = opts
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  async setup(cfg: PeerConfig): Promise<void> {
    const child = fork(this.#opts.entry ?? workerEntry(), [], {
      execArgv: [],
      ...(this.#opts.execPath !== undefined && { execPath: this.#opts.execPath }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    })
    this.#child = child
    if (workers.size === 0) process.on('exit', killAll)
    workers.add(child)
    this.#exit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        workers.delete(child)
        if (workers.size === 0) process.off('exit', killAll)
        this.#pending?.reject(new Error(`client worker exited (${signal ?? `code ${code}`})`))
        this.#pending = undefined
        resolve()
      })
    })
    child.once('error', (err) => {
      this.#pending?.reject(err)
      this.#pending = undefined
    })
    child.on('message', (msg: unknown) => {
      if (!isFromWorker(msg)) return
      const p = this.#pending
      this.#pending = undefined
      p?.resolve(msg)
    })
    const msg: ToWorker = { type: 'setup', peer: this.#peer, workload: this.#workload, origin: cfg.origin, connections: cfg.connections, ...(cfg.proxy !== undefined && { proxy: cfg.proxy }), ...(cfg.ca !== undefined && { ca: cfg.ca }) }
    const answer = await this.#call(msg, 20_000)
    if (answer.type === 'ready') {
      this.versions = answer.versions
      return
    }
    await this.#kill()
    if (answer.type === 'unavailable') throw new PeerUnavailableError(answer.message)
    throw new Error(answer.type === 'error' ? answer.message : `unexpected answer "${answer.type}" to setup`)
  }

  async run(durationMs: number, hangMs = 30_000): Promise<RunResult> {
    const answer = await this.#call({ type: 'run', durationMs, hangMs }, durationMs + hangMs + (this.#opts.killAfterMs ?? 5000))
    if (answer.type === 'result') return answer.run
    throw new Error(answer.type === 'error' ? answer.message : `unexpected answer "${answer.type}" to run`)
  }

  async close(): Promise<void> {
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    try {
      if (child.connected) await this.#call({ type: 'teardown' }, 10_000)
    } catch {
      // it is killed below
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await this.#exit
    clearTimeout(timer)
  }

  async #kill(): Promise<void> {
    this.#child?.kill('SIGKILL')
    await this.#exit
  }

  #call(msg: ToWorker, timeoutMs: number): Promise<FromWorker> {
    const child = this.#child
    if (child === undefined || !child.connected) return Promise.reject(new Error('client worker is not running'))
    if (this.#pending !== undefined) return Promise.reject(new Error('client worker is busy'))
    return new Promise<FromWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending = undefined
        child.kill('SIGKILL')
        reject(new Error(`client worker did not answer "${msg.type}" within ${timeoutMs} ms: killed`))
      }, timeoutMs)
      this.#pending = {
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      child.send(msg)
    })
  }
}
