// One measured run: a peer keeps `concurrency` requests in flight for a fixed time; every answer
// is checked; memory is sampled while it runs.
import type { Peer } from './peers/peer.js'
import { checkAnswer, type PreparedWorkload } from './workloads.js'

/** What one run measured. */
export interface RunResult {
  readonly requests: number
  readonly elapsedMs: number
  /** Requests per second. */
  readonly rps: number
  /** Body megabytes (10^6 bytes, upload + download) per second. */
  readonly mbps: number
  /** Highest resident set size seen during the run, MB (2^20 bytes). */
  readonly peakRssMB: number
  /** Highest V8 heap used seen during the run, MB (2^20 bytes). */
  readonly peakHeapMB: number
  /** CPU time of this process during the run (process.cpuUsage: user and system), µs. */
  readonly cpuUserUs: number
  readonly cpuSystemUs: number
  /** (user + system) ÷ completed requests, µs: what one request cost the client's process. */
  readonly cpuUsPerReq: number
}

/** CPU µs per request from a process.cpuUsage() delta; NaN when no request completed. */
export function cpuPerRequest(cpu: { user: number; system: number }, requests: number): number {
  return requests > 0 ? (cpu.user + cpu.system) / requests : NaN
}

const MB = 1024 * 1024
const gc = (globalThis as { gc?: () => void }).gc

/** True when the process runs with --expose-gc (gc is then called before each run). */
export const hasGc = typeof gc === 'function'

/** Samples RSS and heap every `everyMs` until stopped; keeps the peaks. */
export class MemorySampler {
  #timer: NodeJS.Timeout | null = null
  #rss = 0
  #heap = 0

  start(everyMs = 20): void {
    this.sample()
    this.#timer = setInterval(() => this.sample(), everyMs)
    this.#timer.unref()
  }

  sample(): void {
    const m = process.memoryUsage()
    if (m.rss > this.#rss) this.#rss = m.rss
    if (m.heapUsed > this.#heap) this.#heap = m.heapUsed
  }

  stop(): { peakRssMB: number; peakHeapMB: number } {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.sample()
    return { peakRssMB: this.#rss / MB, peakHeapMB: this.#heap / MB }
  }
}

/** How timedRun treats the process around the run. */
export interface TimedRunOptions {
  /**
   * Force a full GC before the run (when --expose-gc). Inline runs share one heap, so there it
   * keeps one client's garbage out of the next one's run. A worker holds one client only and does
   * not: a forced GC leaves concurrent sweeping and a shrunk young generation behind, and both land
   * in the measured run (its CPU and its req/s). @default true
   */
  readonly gc?: boolean
}

/**
 * Runs `peer` on `w` for `durationMs` with `w.concurrency` requests in flight. The run ends when
 * the last request started before the deadline has finished; a run that has not ended
 * `hangMs` after the deadline is failed, so a stuck client cannot stall the bench.
 */
export async function timedRun(peer: Peer, w: PreparedWorkload, durationMs: number, hangMs = 30_000, opts: TimedRunOptions = {}): Promise<RunResult> {
  if (opts.gc ?? true) gc?.()
  const memory = new MemorySampler()
  memory.start()
  let requests = 0
  let failure: unknown
  // CPU is counted from here (after gc and setup) to the end of the run: the requests only.
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  const deadline = start + durationMs

  const worker = async (): Promise<void> => {
    try {
      while (failure === undefined && performance.now() < deadline) {
        const answer = await peer.request(w)
        const wrong = checkAnswer(w, answer)
        if (wrong !== undefined) throw new Error(wrong)
        requests++
      }
    } catch (err) {
      failure ??= err
    }
  }

  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`run did not finish ${hangMs} ms after its deadline (a request hung)`)),
      durationMs + hangMs,
    )
  })
  try {
    const workers: Promise<void>[] = []
    for (let i = 0; i < w.concurrency; i++) workers.push(worker())
    await Promise.race([Promise.all(workers), hung])
  } finally {
    clearTimeout(timer)
  }
  const elapsedMs = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  const mem = memory.stop()
  if (failure !== undefined) throw failure
  const rps = (requests * 1000) / elapsedMs
  return {
    requests,
    elapsedMs,
    rps,
    mbps: (rps * (w.uploadBytes + w.downloadBytes)) / 1e6,
    ...mem,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    cpuUsPerReq: cpuPerRequest(cpu, requests),
  }
}

/** Resolves with `promise`'s value, or rejects after `ms` with `message`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
