// The bench run: server(s), ceiling, then for each workload warm-up and interleaved rounds over the
// peers, each peer in a worker process of its own (or inline), ending in a report. Output goes
// through `Out` so tests can run it quietly.
import { existsSync } from 'node:fs'
import os from 'node:os'
import type { BenchOptions } from './args.js'
import { makeCert, type BenchCert } from './h2-server.js'
import { findWrk, probe, rawCeiling, runWrk } from './ceiling.js'
import { InlineRunner, ProcessRunner, type ClientRunner } from './client-runner.js'
import { bold, ceilingWarnings, dim, fmtBytes, fmtFixed, fmtInt, fmtShort, red, summaryTable, workloadTable, yellow } from './format.js'
import { peerVersions } from './libs.js'
import { startNginx, type NginxProcess } from './nginx.js'
import type { PeerDefinition } from './peers/peer.js'
import { PeerUnavailableError, peerRuns, peerSpeaks } from './peers/peer.js'
import { affinity, describePinning, pin, planPinning, type PinPlan } from './pinning.js'
import type { BenchReport, CeilingResult, ClientResult, WorkloadResult } from './report.js'
import { hasGc, withTimeout, type RunResult } from './runner.js'
import { startServerProcess, type ServerProcess } from './server-process.js'
import { perRoundRatios, rotate, summarize } from './stats.js'
import { findOnPath, startTinyproxy, type ProxyProcess } from './tinyproxy.js'
import { prepareWorkload, rawRequest, type PreparedWorkload, type Workload } from './workloads.js'

/** A client within 10 % of the server ceiling is measuring the server. */
export const NEAR_CEILING = 0.9

/** nginx on PATH, or in /usr/sbin (Debian's place, not always on a user's PATH). */
export function findNginx(): string | undefined {
  return findOnPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined)
}

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
  /** Run the peers in this process (peers that are not in PEERS, e.g. tests' own, need this). */
  readonly inline?: boolean
  /** Finds nginx for --server nginx (default: findNginx). */
  readonly findNginx?: () => string | undefined
}

const SETUP_MS = 15_000

interface Live {
  def: PeerDefinition
  runner: ClientRunner
  runs: RunResult[]
  failure?: string
}

function pinPlan(options: BenchOptions): PinPlan {
  if (!options.pin) return { pinned: false, why: '--no-pin' }
  const taskset = findOnPath('taskset')
  if (taskset === undefined) return planPinning(undefined, undefined)
  let cpus: number[] | undefined
  try {
    cpus = affinity(taskset)
  } catch {
    cpus = undefined
  }
  const plan = planPinning(taskset, cpus)
  if (!plan.pinned) return plan
  try {
    // The bench's own process (the ceiling client) on the client CPUs; workers inherit it.
    pin(plan.taskset, process.pid, plan.clientCpus)
    return plan
  } catch (err) {
    return { pinned: false, why: `taskset failed: ${(err as Error).message.split('\n')[0]}` }
  }
}

/** Runs the whole bench and returns its report. */
export async function runBench(input: BenchInput, out: Out = consoleOut): Promise<BenchReport> {
  const { options, baseline } = input
  const startedAt = new Date().toISOString()
  const wrk = findWrk()
  const tinyproxy = input.workloads.some((w) => w.viaProxy) ? (input.findTinyproxy ?? (() => findOnPath('tinyproxy')))() : undefined
  const notes: string[] = []
  const unavailable = new Map<string, string>()

  const inline = input.inline === true || options.inline
  out.line(
    bold('sonic bench') +
      dim(` · Node ${process.version}${options.node !== undefined ? ` (clients: ${options.node})` : ''} · ${os.cpus().length} CPU · ${inline ? 'clients inline, in this process' : 'one worker process per client and workload'}${inline && !hasGc ? ' · no --expose-gc' : ''}`),
  )
  out.line(
    dim(`${options.rounds} rounds × ${options.durationMs} ms per client, ${options.warmupMs} ms warm-up${options.quick ? ' (--quick)' : ''}`),
  )
  const loadAtStart = os.loadavg()[0]!
  if (loadAtStart > os.cpus().length / 2) {
    out.line(yellow(`warning: load average ${loadAtStart.toFixed(1)} on ${os.cpus().length} CPUs — other processes compete with the bench; expect noisy rounds`))
  }

  const isTarget = options.target !== undefined
  const useNginx = options.server === 'nginx'
  const nginxBinary = useNginx ? (input.findNginx ?? findNginx)() : undefined
  if (useNginx && nginxBinary === undefined) throw new Error('--server nginx: nginx is not on PATH (apt-get install nginx; the bench does not install it)')
  const plan = pinPlan(options)
  out.line(dim(describePinning(plan)))

  const results: WorkloadResult[] = []
  let server: ServerProcess | undefined
  let h2Server: ServerProcess | undefined
  let cert: BenchCert | undefined
  let nginx: NginxProcess | undefined
  let serverInfo: BenchReport['server'] = { kind: 'target', origin: options.target ?? '' }
  const clientVersions: { value?: Record<string, string> } = inline ? { value: peerVersions() } : {}
  try {
    const h1Workloads = input.workloads.filter((w) => w.protocol === 'http1')
    const needEmbedded = !isTarget && input.origin === undefined && h1Workloads.length > 0 && (!useNginx || h1Workloads.some((w) => w.dynamic))
    // h2 workloads: TLS with a self-signed certificate (openssl), served by nginx or the embedded h2 server.
    if (!isTarget && input.workloads.some((w) => w.protocol === 'h2')) {
      cert = makeCert()
      if (!useNginx) {
        h2Server = await startServerProcess(undefined, undefined, options.node, ['--h2-cert', cert.certPath, '--h2-key', cert.keyPath], 'https')
        if (plan.pinned) pin(plan.taskset, h2Server.pid, [plan.serverCpu])
      }
    }
    if (needEmbedded) {
      server = await startServerProcess(undefined, undefined, options.node)
      if (plan.pinned) pin(plan.taskset, server.pid, [plan.serverCpu])
    }
    const embeddedOrigin = input.origin ?? server?.origin
    if (useNginx) {
      nginx = await startNginx(nginxBinary!, { ...(plan.pinned && { cpu: plan.serverCpu, taskset: plan.taskset }), ...(cert !== undefined && { h2: { certPath: cert.certPath, keyPath: cert.keyPath } }) })
      serverInfo = { kind: 'nginx', origin: nginx.origin, pid: nginx.pid, version: nginx.version, ...(embeddedOrigin !== undefined && { embeddedOrigin }) }
      out.line(dim(`server: nginx ${nginx.version}, pid ${nginx.pid}, ${nginx.origin}, 1 worker${embeddedOrigin ? `; what nginx cannot answer (POST /echo, POST /json) goes to the embedded server${server ? `, pid ${server.pid}` : ''}, ${embeddedOrigin}` : ''}`))
    } else if (isTarget) {
      out.line(dim(`server: ${options.target} (--target)`))
    } else {
      serverInfo = { kind: 'bench-server', origin: embeddedOrigin!, ...(server && { pid: server.pid }) }
      out.line(dim(`server: raw-net bench server${server ? `, pid ${server.pid}` : ''}, ${embeddedOrigin ?? '(not needed)'}`))
    }
    if (h2Server !== undefined) out.line(dim(`h2 server: node:http2 createSecureServer (ALPN h2 only), pid ${h2Server.pid}, ${h2Server.origin}`))
    if (nginx?.h2Origin !== undefined) out.line(dim(`h2 server: nginx, listen ssl http2, ${nginx.h2Origin}`))
    const where = (w: Workload): { origin: string; kind: WorkloadResult['server']; note?: string } => {
      if (isTarget) return { origin: options.target!, kind: 'target' }
      if (w.protocol === 'h2') return nginx?.h2Origin !== undefined ? { origin: nginx.h2Origin, kind: 'nginx' } : { origin: h2Server?.origin ?? embeddedOrigin ?? '', kind: 'embedded' }
      if (nginx !== undefined && !w.dynamic) return { origin: nginx.origin, kind: 'nginx' }
      if (nginx !== undefined) return { origin: embeddedOrigin!, kind: 'embedded', note: `nginx cannot answer ${w.method} ${w.path}: the embedded server answers it` }
      return { origin: embeddedOrigin!, kind: 'embedded' }
    }
    const servedBy = new Map(input.workloads.map((w) => [w.name, where(w)]))
    const prepared = input.workloads.map((w) => prepareWorkload(w, servedBy.get(w.name)!.origin))
    const ceilings = await measureCeilings(prepared, options, wrk, isTarget, tinyproxy, out)

    for (const w of prepared) {
      const wBaseline = w.baseline ?? baseline
      const ceiling = ceilings.get(w.name)!
      const served = servedBy.get(w.name)!
      if (ceiling.note !== undefined && ceiling.rawRps === undefined) {
        results.push(workloadResult(w, wBaseline, [], ceiling, served, ceiling.note))
        notes.push(`${w.name}: skipped — ${ceiling.note}`)
        continue
      }
      out.line()
      out.line(bold(`▸ ${w.label}`) + dim(`  ${w.method} ${w.path} · ${fmtBytes(w.uploadBytes || w.downloadBytes)} · ${w.concurrency} connection${w.concurrency > 1 ? 's' : ''} per client · server: ${served.kind}`))
      if (served.note !== undefined) out.line(yellow(`  ${served.note}`))
      let proxy: ProxyProcess | undefined
      let clients: ClientResult[]
      try {
        if (w.viaProxy) {
          proxy = await startTinyproxy(tinyproxy!)
          out.line(dim(`  proxy: tinyproxy, pid ${proxy.pid}, ${proxy.url} (it closes the connection after each answer)`))
        }
        clients = await runWorkload(w, input.peers, options, wBaseline, proxy?.url, unavailable, inline, ceiling, clientVersions, out, cert?.cert)
      } catch (err) {
        const note = `tinyproxy did not start: ${(err as Error).message}`
        out.line(red(`  ${note}`))
        results.push(workloadResult(w, wBaseline, [], ceiling, served, note))
        notes.push(`${w.name}: skipped — ${note}`)
        continue
      } finally {
        await proxy?.stop()
      }
      const result = workloadResult(w, wBaseline, clients, ceiling, served)
      results.push(result)
      for (const line of workloadTable(result, wBaseline)) out.line(line)
      for (const line of ceilingWarnings(result)) out.line(yellow(line))
    }
  } finally {
    await nginx?.stop()
    await server?.stop()
    await h2Server?.stop()
    cert?.remove()
    if (plan.pinned) {
      try {
        pin(plan.taskset, process.pid, plan.previous)
      } catch {
        // the process keeps the client CPUs: harmless for a CLI run that ends now
      }
    }
  }

  for (const [name, why] of unavailable) notes.push(`${name}: ${why} — skipped`)
  const report: BenchReport = {
    tool: '@sonic/bench-app',
    schema: 2,
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
      exposeGc: inline && hasGc,
      loadAverageAtStart: loadAtStart,
      wrk: wrk !== undefined,
      clients: clientVersions.value ?? {},
      isolation: inline ? 'inline' : 'process',
      pinning: { text: describePinning(plan), ...(plan.pinned && { serverCpu: plan.serverCpu, clientCpus: plan.clientCpus }) },
    },
    options,
    baseline,
    server: serverInfo,
    notes,
    workloads: results,
  }
  out.line()
  if (clientVersions.value !== undefined) out.line(dim(`clients ran on ${versionLine(clientVersions.value)}`))
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
    if (w.protocol === 'h2') {
      if (isTarget) {
        const note = 'h2 workloads need the bench\'s own TLS servers (not --target)'
        map.set(w.name, { note })
        out.line(`  ${w.name.padEnd(12)} ${yellow(`skipped: ${note}`)}`)
      } else {
        map.set(w.name, {})
        out.line(`  ${w.name.padEnd(12)} ${dim('no raw ceiling over h2: the node:http2 row is the reference')}`)
      }
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
  inline: boolean,
  ceiling: CeilingResult,
  versions: { value?: Record<string, string> },
  out: Out,
  ca?: string,
): Promise<ClientResult[]> {
  const live: Live[] = []
  const skipped: ClientResult[] = []
  // A proxy-only peer has no place on a direct workload: it is left out, not listed as skipped.
  defs = defs.filter((d) => (w.viaProxy || peerRuns(d, false)) && peerSpeaks(d, w.protocol))
  const starting: { def: PeerDefinition; runner: ClientRunner }[] = []
  for (const def of defs) {
    if (!peerRuns(def, w.viaProxy)) {
      skipped.push(emptyResult(def, 'skipped', 'not set up to go through a proxy in this bench'))
      continue
    }
    if (unavailable.has(def.name)) {
      skipped.push(emptyResult(def, 'skipped', unavailable.get(def.name)!))
      continue
    }
    const runner = inline ? new InlineRunner(def, w) : new ProcessRunner(def.name, w.name, options.node !== undefined ? { execPath: options.node } : {})
    starting.push({ def, runner })
  }
  // Workers start side by side (each is a Node process starting up); inline peers one by one.
  const cfg = { origin: w.origin, connections: w.concurrency, ...(proxy !== undefined && { proxy }), ...(w.protocol === 'h2' && ca !== undefined && { ca }) }
  const setups = inline
    ? await sequential(starting.map((s) => () => withTimeout(s.runner.setup(cfg), SETUP_MS, `setup took over ${SETUP_MS} ms`)))
    : await Promise.allSettled(starting.map((s) => withTimeout(s.runner.setup(cfg), SETUP_MS, `setup took over ${SETUP_MS} ms`)))
  for (const [i, { def, runner }] of starting.entries()) {
    const r = setups[i]!
    if (r.status === 'fulfilled') {
      live.push({ def, runner, runs: [] })
      if (versions.value === undefined && runner.versions !== undefined) {
        versions.value = runner.versions
        out.line(dim(`  clients run on ${versionLine(runner.versions)}`))
      }
      continue
    }
    const err = r.reason as Error
    await runner.close().catch(() => undefined)
    if (err instanceof PeerUnavailableError) {
      unavailable.set(def.name, err.message)
      out.line(yellow(`  ${def.name}: ${err.message} — skipped`))
      skipped.push(emptyResult(def, 'skipped', err.message))
    } else {
      out.line(red(`  ${def.name}: setup failed: ${err.message}`))
      skipped.push(emptyResult(def, 'failed', `setup: ${err.message}`))
    }
  }

  try {
    if (options.warmupMs > 0) {
      out.write(dim('  warm-up   '))
      for (const l of live) {
        try {
          await l.runner.run(options.warmupMs)
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
          const run = await l.runner.run(options.durationMs)
          l.runs.push(run)
          out.write(` ${l.def.name} ${bold(fmtShort(run.rps))}`)
        } catch (err) {
          fail(l, err, out)
        }
      }
      out.line()
    }
  } finally {
    await Promise.all(
      live.map((l) =>
        withTimeout(l.runner.close(), SETUP_MS, 'teardown hung').catch((err: Error) => {
          out.line(red(`  ${l.def.name}: ${err.message}`))
        }),
      ),
    )
  }

  const base = live.find((l) => l.def.name === baseline && l.failure === undefined)
  const baseRps = base?.runs.map((r) => r.rps)
  const baseCpu = base?.runs.map((r) => r.cpuUsPerReq)
  const ref = w.reference !== undefined ? live.find((l) => l.def.name === w.reference && l.failure === undefined) : undefined
  const refRps = ref?.runs.map((r) => r.rps)
  const refCpu = ref?.runs.map((r) => r.cpuUsPerReq)
  const measured = live.map((l): ClientResult => {
    if (l.failure !== undefined) return emptyResult(l.def, 'failed', l.failure)
    const roundsRps = l.runs.map((r) => r.rps)
    const roundsCpuUs = l.runs.map((r) => r.cpuUsPerReq)
    const ratios = baseRps ? perRoundRatios(roundsRps, baseRps) : []
    const cpuRatios = baseCpu ? perRoundRatios(roundsCpuUs, baseCpu) : []
    const rps = summarize(roundsRps)
    return {
      name: l.def.name,
      label: l.def.label,
      status: 'ok',
      roundsRps,
      rps,
      mbps: summarize(l.runs.map((r) => r.mbps)),
      ratios,
      ratio: baseRps ? summarize(ratios) : null,
      peakRssMB: Math.max(...l.runs.map((r) => r.peakRssMB)),
      peakHeapMB: Math.max(...l.runs.map((r) => r.peakHeapMB)),
      roundsCpuUs,
      cpuUsPerReq: summarize(roundsCpuUs),
      cpuRatios,
      cpuRatio: baseCpu ? summarize(cpuRatios) : null,
      nearCeiling: isNearCeiling(rps.median, ceiling.rawRps),
      ...(w.reference !== undefined && {
        refRatio: refRps ? summarize(perRoundRatios(roundsRps, refRps)) : null,
        refCpuRatio: refCpu ? summarize(perRoundRatios(roundsCpuUs, refCpu)) : null,
      }),
    }
  })
  const order = defs.map((d) => d.name)
  return [...measured, ...skipped].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
}

/** True when `rps` is within 10 % of the raw ceiling (or above it). */
export function isNearCeiling(rps: number, ceilingRps: number | undefined): boolean {
  return ceilingRps !== undefined && ceilingRps > 0 && Number.isFinite(rps) && rps >= NEAR_CEILING * ceilingRps
}

/** `Node 24.1.0 · undici 8.14.0 · got 16.1.0 · …` */
export function versionLine(v: Readonly<Record<string, string>>): string {
  return Object.entries(v)
    .map(([k, ver]) => (k === 'node' ? `Node ${ver}` : `${k} ${ver}`))
    .join(' · ')
}

async function sequential<T>(tasks: readonly (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = []
  for (const t of tasks) {
    try {
      out.push({ status: 'fulfilled', value: await t() })
    } catch (reason) {
      out.push({ status: 'rejected', reason })
    }
  }
  return out
}

function fail(l: Live, err: unknown, out: Out): void {
  l.failure = (err as Error)?.message ?? String(err)
  out.write(red(` ${l.def.name} ✗ (${l.failure})`))
}

function emptyResult(def: PeerDefinition, status: 'failed' | 'skipped', note: string): ClientResult {
  const none = { median: NaN, min: NaN, max: NaN, n: 0 }
  return {
    name: def.name,
    label: def.label,
    status,
    note,
    roundsRps: [],
    rps: none,
    mbps: none,
    ratios: [],
    ratio: null,
    peakRssMB: NaN,
    peakHeapMB: NaN,
    roundsCpuUs: [],
    cpuUsPerReq: none,
    cpuRatios: [],
    cpuRatio: null,
    nearCeiling: false,
  }
}

function workloadResult(
  w: PreparedWorkload,
  baseline: string,
  clients: ClientResult[],
  ceiling: CeilingResult,
  served: { kind: WorkloadResult['server']; note?: string },
  skipped?: string,
): WorkloadResult {
  return {
    name: w.name,
    server: served.kind,
    ...(served.note !== undefined && { serverNote: served.note }),
    label: w.label,
    baseline,
    ...(w.reference !== undefined && { reference: w.reference }),
    protocol: w.protocol,
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
