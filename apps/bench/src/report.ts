// The results document (bench/results/*.json) and where it is written.
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { BenchOptions } from './args.js'
import type { Summary } from './stats.js'

/** One client on one workload. */
export interface ClientResult {
  readonly name: string
  readonly label: string
  /** ok: measured; failed: a request failed or hung (see note); skipped: client unavailable. */
  readonly status: 'ok' | 'failed' | 'skipped'
  readonly note?: string
  /** req/s of each measured round, in round order. */
  readonly roundsRps: readonly number[]
  /** Requests per second: median over rounds (min/max too). */
  readonly rps: Summary
  /** Body MB/s (10^6 bytes, upload + download): median over rounds. */
  readonly mbps: Summary
  /** This client's req/s ÷ the baseline's in the same round, per round. */
  readonly ratios: readonly number[]
  /** Summary of `ratios`; the median is the headline figure. Null without a baseline. */
  readonly ratio: Summary | null
  /** Peaks over this client's measured runs, MB (2^20 bytes). */
  readonly peakRssMB: number
  readonly peakHeapMB: number
  /** Client CPU (user + system, process.cpuUsage) per request, µs, per round. */
  readonly roundsCpuUs: readonly number[]
  /** Summary of `roundsCpuUs`. */
  readonly cpuUsPerReq: Summary
  /** This client's CPU per request ÷ the baseline's in the same round, per round. */
  readonly cpuRatios: readonly number[]
  /** Summary of `cpuRatios` (below 1: less CPU than the baseline). Null without a baseline. */
  readonly cpuRatio: Summary | null
  /** True when the median req/s is within 10 % of the server ceiling: the server is then measured. */
  readonly nearCeiling: boolean
  /** req/s ÷ the workload's `reference` peer's in the same round (h2: node:http2), when it has one. */
  readonly refRatio?: Summary | null
  /** CPU per request ÷ the reference peer's, when the workload has one. */
  readonly refCpuRatio?: Summary | null
}

/** The server's ceiling for a workload, measured before the clients. */
export interface CeilingResult {
  /** Raw socket client: no parsing, one request in flight per connection. */
  readonly rawRps?: number
  readonly rawMbps?: number
  readonly connections?: number
  /** `wrk -t1 -cN` (GET workloads, when wrk is installed). */
  readonly wrkRps?: number
  readonly note?: string
}

/** One workload's results. */
export interface WorkloadResult {
  readonly name: string
  readonly label: string
  /** The peer this workload's ratios are relative to (the run's baseline unless the workload names its own). */
  readonly baseline: string
  /** A second peer the ratios are given against (h2 workloads: node-http2). */
  readonly reference?: string
  /** 'http1', or 'h2' (TLS, ALPN h2, one session). Absent in older results = http1. */
  readonly protocol?: 'http1' | 'h2'
  /** True when the requests went through the bench's forward proxy (tinyproxy). */
  readonly viaProxy: boolean
  readonly method: string
  readonly path: string
  readonly concurrency: number
  readonly uploadBytes: number
  readonly downloadBytes: number
  /** Who answered: the embedded bench server, the bench's nginx, or the --target server. */
  readonly server: 'embedded' | 'nginx' | 'target'
  /** Why this workload is not on the run's server (nginx cannot answer it). */
  readonly serverNote?: string
  /** Why the workload did not run (e.g. --target server without /echo). */
  readonly skipped?: string
  readonly ceiling?: CeilingResult
  readonly clients: readonly ClientResult[]
}

/** The whole run. */
export interface BenchReport {
  readonly tool: '@sonic/bench-app'
  readonly schema: 2
  readonly startedAt: string
  readonly finishedAt: string
  readonly environment: {
    readonly node: string
    readonly v8: string
    readonly bundledUndici: string | undefined
    readonly platform: string
    readonly arch: string
    readonly cpus: number
    readonly cpuModel: string
    readonly totalMemMB: number
    readonly exposeGc: boolean
    /** 1-minute load average when the run started: high values mean other work competed for the CPUs. */
    readonly loadAverageAtStart: number
    readonly wrk: boolean
    /** Node and peer library versions the clients ran with (from the first client worker). */
    readonly clients: Readonly<Record<string, string>>
    /** 'process': one worker process per client and workload; 'inline': all in the bench's process. */
    readonly isolation: 'process' | 'inline'
    /** CPU pinning: a line as printed, and the CPUs when pinned. */
    readonly pinning: { readonly text: string; readonly serverCpu?: number; readonly clientCpus?: readonly number[] }
  }
  readonly options: BenchOptions
  /** The baseline peer of every ratio, unless a workload has its own (`workloads[].baseline`). */
  readonly baseline: string
  readonly server: {
    readonly kind: 'bench-server' | 'nginx' | 'target'
    readonly origin: string
    readonly pid?: number
    /** nginx's version (kind nginx). */
    readonly version?: string
    /** The embedded server that answers what nginx cannot (kind nginx). */
    readonly embeddedOrigin?: string
  }
  /** Lines worth keeping with the numbers: skipped clients, skipped workloads. */
  readonly notes: readonly string[]
  readonly workloads: readonly WorkloadResult[]
}

/** `<repo>/bench/results`, found from this file (apps/bench/dist or apps/bench/src). */
export function defaultResultsDir(): string {
  return fileURLToPath(new URL('../../../bench/results/', import.meta.url))
}

/** Writes bench-<timestamp>.json, latest.json and latest.svg; returns their paths. */
export async function writeResults(dir: string, report: BenchReport, svg: string): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const stamp = report.startedAt.replace(/[:.]/g, '-')
  const json = `${JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`
  const files = [join(dir, `bench-${stamp}.json`), join(dir, 'latest.json'), join(dir, 'latest.svg')]
  await writeFile(files[0]!, json)
  await writeFile(files[1]!, json)
  await writeFile(files[2]!, svg)
  return files
}
