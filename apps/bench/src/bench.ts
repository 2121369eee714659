// The bench run: server, ceiling, then for each workload warm-up and interleaved rounds over the
// peers, ending in a report. Output goes through `Out` so tests can run it quietly.
import os from 'node:os'
import type { BenchOptions } from './args.js'
import { findWrk, probe, rawCeiling, runWrk } from './ceiling.js'
import { bold, dim, fmtBytes, fmtFixed, fmtInt, fmtShort, red, summaryTable, workloadTable, yellow } from './format.js'
import type { Peer, PeerDefinition } from './peers/peer.js'
import { PeerUnavailableError, peerRuns } from './peers/peer.js'
import type { BenchReport, CeilingResult, ClientResult, WorkloadResult } from './report.js'
import { hasGc, timedRun, withTimeout, type RunResult } from './runner.js'
import { startServerProcess } from './server-process.js'
import { perRoundRatios, rotate, summarize } from './stats.js'
import { findOnPath, startTinyproxy, type ProxyProcess } from './tinyproxy.js'
import { prepareWorkload, rawRequest, type PreparedWorkload, type Workload } from './workloads.js'

/** Where progress goes: `line` ends a line, `write` continues one. */
export interface Out {
  line(text?: string): void
  write(text: string): void
}

export const consoleOut: Out = {
  line: (text = '') => process.stdout.write(`${text}\n`),
  write: (text) => process.stdout.write(text),
}

/** Everything a run needs besides the options. */
export interface BenchInput {
  readonly options: BenchOptions
  readonly peers: readonly PeerDefinition[]
  readonly workloads: readonly Workload[]
  readonly baseline: string
  /** A bench server already running (tests); otherwise one is forked, unless options.target is set. */
  readonly origin?: string
  /** Finds tinyproxy for the proxy workloads (default: on PATH); undefined skips those workloads. */
  readonly findTinyproxy?: () => string | undefined
}

const SETUP_MS = 15_000

interface Live {
  def: PeerDefinition
  peer: Peer
  runs: RunResult[]
  failure?: string
}

/** Runs the whole bench and returns its report. */
export async function runBench(input: BenchInput, out: Out = consoleOut): Promise<BenchReport> {
  const { options, baseline } = input
  const startedAt = new Date().toISOString()
  const wrk = findWrk()
  const tinyproxy = input.workloads.some((w) => w.viaProxy) ? (input.findTinyproxy ?? (() => findOnPath('tinyproxy')))() : undefined
  const notes: string[] = []
  const unavailable = new Map<string, string>()

  out.line(bold('sonic bench') + dim(` · Node ${process.version} · ${os.cpus().length} CPU · ${hasGc ? 'gc between runs' : 'no --expose-gc'}`))
  out.line(
    dim(`${options.rounds} rounds × ${options.durationMs} ms per client, ${options.warmupMs} ms warm-up${options.quick ? ' (--quick)' : ''}`),
  )
  const loadAtStart = os.loadavg()[0]!
  if (loadAtStart > os.cpus().length / 2) {
    out.line(yellow(`warning: load average ${loadAtStart.toFixed(1)} on ${os.cpus().length} CPUs — other processes compete with the bench; expect noisy rounds`))
  }

  const isTarget = options.target !== undefined
  const server = isTarget || input.origin !== undefined ? undefined : await startServerProcess()
  const origin = options.target ?? input.origin ?? server!.origin
  const serverInfo = isTarget
    ? { kind: 'target' as const, origin }
    : { kind: 'bench-server' as const, origin, ...(server && { pid: server.pid }) }
  out.line(dim(isTarget ? `server: ${origin} (--target)` : `server: raw-net bench server${server ? `, pid ${server.pid}` : ''}, ${origin}`))

  const results: WorkloadResult[] = []
  try {
    const prepared = input.workloads.map((w) => prepareWorkload(w, origin))
    const ceilings = await measureCeilings(prepared, options, wrk, isTarget, tinyproxy, out)

    for (const w of prepared) {
      const wBaseline = w.baseline ?? baseline
      const ceiling = ceilings.get(w.name)!
      if (ceiling.note !== undefined && ceiling.rawRps === undefined) {
        results.push(workloadResult(w, wBaseline, [], ceiling, ceiling.note))
        notes.push(`${w.name}: skipped — ${ceiling.note}`)
        continue
      }
      out.line()
      out.line(bold(`▸ ${w.label}`) + dim(`  ${w.method} ${w.path} · ${fmtBytes(w.uploadBytes || w.downloadBytes)} · ${w.concurrency} connection${w.concurrency > 1 ? 's' : ''} per client`))
      let proxy: ProxyProcess | undefined
      let clients: ClientResult[]
      try {
        if (w.viaProxy) {
          proxy = await startTinyproxy(tinyproxy!)
          out.line(dim(`  proxy: tinyproxy, pid ${proxy.pid}, ${proxy.url} (it closes the connection after each answer)`))
        }
        clients = await runWorkload(w, input.peers, options, wBaseline, proxy?.url, unavailable, out)
      } catch (err) {
        const note = `tinyproxy did not start: ${(err as Error).message}`
        out.line(red(`  ${note}`))
        results.push(workloadResult(w, wBaseline, [], ceiling, note))
        notes.push(`${w.name}: skipped — ${note}`)
        continue
      } finally {
        await proxy?.stop()
      }
      const result = workloadResult(w, wBaseline, clients, ceiling)
      results.push(result)
      for (const line of workloadTable(result, wBaseline)) out.line(line)
    }
  } finally {
    await server?.stop()
  }

  for (const [name, why] of unavailable) notes.push(`${name}: ${why} — skipped`)
  const report: BenchReport = {
    tool: '@sonic/bench-app',
    schema: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      node: process.versions.node,
      v8: process.versions.v8,
      bundledUndici: process.versions.undici,
      platform: process.platform,
      arch: process.arch,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      totalMemMB: Math.round(os.totalmem() / 2 ** 20),
      exposeGc: hasGc,
      loadAverageAtStart: loadAtStart,
      wrk: wrk !== undefined,
    },
    options,
    baseline,
    server: serverInfo,
    notes,
    workloads: results,
  }
  out.line()
  const own = results.filter((w) => w.skipped === undefined && w.baseline !== baseline).map((w) => `${w.name}: to ${w.baseline}`)
  out.line(bold(`Summary: median req/s ratio to ${baseline} (per-round ratios)`) + (own.length ? dim(` · ${own.join(', ')}`) : ''))
  for (const line of summaryTable(report)) out.line(line)
  return report
}

async function measureCeilings(
  prepared: readonly PreparedWorkload[],
  options: BenchOptions,
  wrk: string | undefined,
  isTarget: boolean,
  tinyproxy: string | undefined,
  out: Out,
): Promise<Map<string, CeilingResult>> {
  const map = new Map<string, CeilingResult>()
  out.line()
  out.line(bold('Server ceiling') + dim(` (raw socket client: counts answers by length, no parsing${wrk ? '; and wrk -t1' : '; wrk not installed'})`))
  for (const w of prepared) {
    if (isTarget && w.dynamic) {
      const note = `${w.path} needs the bench server (a static file server cannot answer it)`
      map.set(w.name, { note })
      out.line(`  ${w.name.padEnd(12)} ${yellow(`skipped: ${note}`)}`)
      continue
    }
    if (w.viaProxy && tinyproxy === undefined) {
      const note = 'tinyproxy is not on PATH (the bench does not install it)'
      map.set(w.name, { note })
      out.line(`  ${w.name.padEnd(12)} ${yellow(`skipped: ${note}`)}`)
      continue
    }
    const url = new URL(w.url)
    const host = url.hostname
    const port = Number(url.port || 80)
    const request = rawRequest(w)
    try {
      const p = await probe(host, port, request)
      if (p.status !== 200) throw new Error(`${w.path} answered ${p.status}`)
      const raw = await rawCeiling({ host, port, request, responseLength: p.responseLength, connections: w.concurrency, durationMs: options.ceilingMs })
      let wrkRps: number | undefined
      let wrkNote = ''
      if (wrk && w.method === 'GET') {
        try {
          wrkRps = await runWrk(wrk, w.url, w.concurrency, options.ceilingMs)
        } catch (err) {
          wrkNote = `wrk failed: ${(err as Error).message}`
        }
      }
      const rawMbps = (raw.rps * (w.uploadBytes + w.downloadBytes)) / 1e6
      const chunkNote = w.path.includes('chunked') && !p.chunked ? 'answer is not chunked' : undefined
      map.set(w.name, { rawRps: raw.rps, rawMbps, connections: w.concurrency, ...(wrkRps !== undefined && { wrkRps }), ...(chunkNote && { note: chunkNote }) })
      out.line(
        `  ${w.name.padEnd(12)} ${fmtInt(raw.rps).padStart(9)} req/s ${fmtFixed(rawMbps, 1).padStart(8)} MB/s` +
          dim(`  (${w.concurrency} conn)`) +
          (wrkRps !== undefined ? `   wrk ${fmtInt(wrkRps)} req/s` : '') +
          (w.viaProxy ? dim('   (direct, without the proxy)') : '') +
          (wrkNote ? red(`   ${wrkNote}`) : '') +
          (chunkNote ? yellow(`   warning: ${chunkNote}`) : ''),
      )
    } catch (err) {
      const note = `server check failed: ${(err as Error).message}`
      map.set(w.name, { note })
      out.line(`  ${w.name.padEnd(12)} ${red(note)}`)
    }
  }
  return map
}

async function runWorkload(
  w: PreparedWorkload,
  defs: readonly PeerDefinition[],
  options: BenchOptions,
  baseline: string,
  proxy: string | undefined,
  unavailable: Map<string, string>,
  out: Out,
): Promise<ClientResult[]> {
  const live: Live[] = []
  const skipped: ClientResult[] = []
  // A proxy-only peer has no place on a direct workload: it is left out, not listed as skipped.
  defs = defs.filter((d) => w.viaProxy || peerRuns(d, false))
  for (const def of defs) {
    if (!peerRuns(def, w.viaProxy)) {
      skipped.push(emptyResult(def, 'skipped', 'not set up to go through a proxy in this bench'))
      continue
    }
    if (unavailable.has(def.name)) {
      skipped.push(emptyResult(def, 'skipped', unavailable.get(def.name)!))
      continue
    }
    const peer = def.create()
    try {
      const cfg = proxy === undefined ? { origin: w.origin, connections: w.concurrency } : { origin: w.origin, connections: w.concurrency, proxy }
      await withTimeout(peer.setup(cfg), SETUP_MS, `setup took over ${SETUP_MS} ms`)
      live.push({ def, peer, runs: [] })
    } catch (err) {
      if (err instanceof PeerUnavailableError) {
        unavailable.set(def.name, err.message)
        out.line(yellow(`  ${def.name}: ${err.message} — skipped`))
        skipped.push(emptyResult(def, 'skipped', err.message))
      } else {
        out.line(red(`  ${def.name}: setup failed: ${(err as Error).message}`))
        skipped.push(emptyResult(def, 'failed', `setup: ${(err as Error).message}`))
      }
    }
  }

  try {
    if (options.warmupMs > 0) {
      out.write(dim('  warm-up   '))
      for (const l of live) {
        try {
          await timedRun(l.peer, w, options.warmupMs)
          out.write(dim(`${l.def.name} ✓  `))
        } catch (err) {
          fail(l, err, out)
        }
      }
      out.line()
    }
    for (let r = 0; r < options.rounds; r++) {
      out.write(dim(`  round ${r + 1}/${options.rounds} `))
      for (const l of rotate(live, r)) {
        if (l.failure !== undefined) continue
        try {
          const run = await timedRun(l.peer, w, options.durationMs)
          l.runs.push(run)
          out.write(` ${l.def.name} ${bold(fmtShort(run.rps))}`)
        } catch (err) {
          fail(l, err, out)
        }
      }
      out.line()
    }
  } finally {
    for (const l of live) {
      await withTimeout(l.peer.teardown(), SETUP_MS, 'teardown hung').catch((err: Error) => {
        out.line(red(`  ${l.def.name}: ${err.message}`))
      })
    }
  }

  const base = live.find((l) => l.def.name === baseline && l.failure === undefined)
  const baseRps = base?.runs.map((r) => r.rps)
  const measured = live.map((l): ClientResult => {
    if (l.failure !== undefined) return emptyResult(l.def, 'failed', l.failure)
    const roundsRps = l.runs.map((r) => r.rps)
    const ratios = baseRps ? perRoundRatios(roundsRps, baseRps) : []
    return {
      name: l.def.name,
      label: l.def.label,
      status: 'ok',
      roundsRps,
      rps: summarize(roundsRps),
      mbps: summarize(l.runs.map((r) => r.mbps)),
      ratios,
      ratio: baseRps ? summarize(ratios) : null,
      peakRssMB: Math.max(...l.runs.map((r) => r.peakRssMB)),
      peakHeapMB: Math.max(...l.runs.map((r) => r.peakHeapMB)),
    }
  })
  const order = defs.map((d) => d.name)
  return [...measured, ...skipped].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
}

function fail(l: Live, err: unknown, out: Out): void {
  l.failure = (err as Error)?.message ?? String(err)
  out.write(red(` ${l.def.name} ✗ (${l.failure})`))
}

function emptyResult(def: PeerDefinition, status: 'failed' | 'skipped', note: string): ClientResult {
  const none = { median: NaN, min: NaN, max: NaN, n: 0 }
  return { name: def.name, label: def.label, status, note, roundsRps: [], rps: none, mbps: none, ratios: [], ratio: null, peakRssMB: NaN, peakHeapMB: NaN }
}

function workloadResult(w: PreparedWorkload, baseline: string, clients: ClientResult[], ceiling: CeilingResult, skipped?: string): WorkloadResult {
  return {
    name: w.name,
    label: w.label,
    baseline,
    viaProxy: w.viaProxy,
    method: w.method,
    path: w.path,
    concurrency: w.concurrency,
    uploadBytes: w.uploadBytes,
    downloadBytes: w.downloadBytes,
    ...(skipped !== undefined && { skipped }),
    ceiling,
    clients,
  }
}
