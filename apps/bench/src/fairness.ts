// Is the bench fair to undici? (dist/fairness.js) Against one nginx the bench starts, it measures
// undici Pool.request on small GETs at 50 in flight four ways, in interleaved rounds:
//   standalone      a forked process that is nothing but the usual keep-50-in-flight loop
//                   (50 async loops of `await pool.request(); await body.bytes()`)
//   worker          the bench's own way: a forked client worker (worker.ts) running timedRun
//   worker, short   the same worker with the bench's default run length (500 ms)
//   inline          the old bench: in the bench's process, right after sonic ran there too
// The worker rows must match the standalone one; the inline row shows what sharing a process did.
//   node dist/fairness.js [--duration MS] [--rounds N] [--node PATH] [--no-pin]
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { findNginx } from './bench.js'
import { InlineRunner, ProcessRunner } from './client-runner.js'
import { fmtCpuUs, fmtInt, renderTable } from './format.js'
import { loadUndici, peerVersions } from './libs.js'
import { startNginx } from './nginx.js'
import { sonic } from './peers/sonic.js'
import { undiciRequest } from './peers/undici-request.js'
import { affinity, describePinning, pin, planPinning } from './pinning.js'
import { median } from './stats.js'
import { findOnPath } from './tinyproxy.js'
import { WORKLOADS, prepareWorkload } from './workloads.js'

interface Sample {
  rps: number
  cpuUsPerReq: number
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

/** The standalone loop, run in a child: no runner, no checks, no sampler. */
async function standaloneChild(origin: string, durationMs: number, inFlight: number): Promise<Sample> {
  const { Pool } = await loadUndici()
  const pool = new Pool(origin, { connections: inFlight })
  const loop = async (until: number, count: { n: number }): Promise<void> => {
    while (performance.now() < until) {
      const { body } = await pool.request({ path: '/small', method: 'GET' })
      await body.bytes()
      count.n++
    }
  }
  // Warm-up as long as the run, then the measured run.
  const warm = { n: 0 }
  const warmUntil = performance.now() + durationMs
  await Promise.all(Array.from({ length: inFlight }, () => loop(warmUntil, warm)))
  const count = { n: 0 }
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  await Promise.all(Array.from({ length: inFlight }, () => loop(start + durationMs, count)))
  const elapsed = performance.now() - start
  const cpu = process.cpuUsage(cpu0)
  await pool.close()
  return { rps: (count.n * 1000) / elapsed, cpuUsPerReq: (cpu.user + cpu.system) / count.n }
}

function runStandalone(origin: string, durationMs: number, execPath: string | undefined): Promise<Sample> {
  const child = fork(fileURLToPath(import.meta.url), ['--standalone-child', origin, String(durationMs)], {
    execArgv: [],
    ...(execPath !== undefined && { execPath }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('message', (m: Sample) => resolve(m))
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`standalone loop exited with code ${code}`))))
    child.once('error', reject)
  })
}

async function main(): Promise<void> {
  const durationMs = Number(flag('--duration') ?? 3000)
  const rounds = Number(flag('--rounds') ?? 3)
  const execPath = flag('--node') ?? process.env.BENCH_NODE
  const nginxBinary = findNginx()
  if (nginxBinary === undefined) throw new Error('nginx is not on PATH (apt-get install nginx)')
  const taskset = findOnPath('taskset')
  const plan = process.argv.includes('--no-pin') ? ({ pinned: false, why: '--no-pin' } as const) : planPinning(taskset, taskset ? affinity(taskset) : undefined)
  if (plan.pinned) pin(plan.taskset, process.pid, plan.clientCpus)
  const nginx = await startNginx(nginxBinary, plan.pinned ? { cpu: plan.serverCpu, taskset: plan.taskset } : {})
  console.log(`undici Pool.request, small GET, 50 in flight, against nginx ${nginx.version} · ${describePinning(plan)}`)
  console.log(`${rounds} rounds × ${durationMs} ms (worker, short: 500 ms), each after a warm-up of the same length`)
  const w = prepareWorkload(WORKLOADS.find((x) => x.name === 'small-50')!, nginx.origin)
  const cfg = { origin: nginx.origin, connections: w.concurrency }
  const samples = new Map<string, Sample[]>([['standalone', []], ['worker', []], ['worker, short', []], ['inline, after sonic', []]])
  const worker = new ProcessRunner('undici-request', 'small-50', execPath !== undefined ? { execPath } : {})
  const inlineSonic = new InlineRunner(sonic, w)
  const inlineUndici = new InlineRunner(undiciRequest, w)
  try {
    await worker.setup(cfg)
    console.log(`clients: ${Object.entries(worker.versions ?? peerVersions()).map(([k, v]) => `${k} ${v}`).join(' · ')}`)
    await worker.run(durationMs)
    await worker.run(300)
    await inlineSonic.setup(cfg)
    await inlineUndici.setup(cfg)
    await inlineSonic.run(300)
    await inlineUndici.run(300)
    for (let r = 0; r < rounds; r++) {
      samples.get('standalone')!.push(await runStandalone(nginx.origin, durationMs, execPath))
      samples.get('worker')!.push(await worker.run(durationMs))
      samples.get('worker, short')!.push(await worker.run(500))
      await inlineSonic.run(durationMs)
      samples.get('inline, after sonic')!.push(await inlineUndici.run(durationMs))
      process.stdout.write(`  round ${r + 1}/${rounds} done\n`)
    }
  } finally {
    await worker.close()
    await inlineSonic.close()
    await inlineUndici.close()
    await nginx.stop()
    if (plan.pinned) pin(plan.taskset, process.pid, plan.previous)
  }
  const base = median(samples.get('standalone')!.map((s) => s.rps))
  const rows = [...samples].map(([name, s]) => {
    const rps = median(s.map((x) => x.rps))
    return [name, fmtInt(rps), `${((100 * rps) / base).toFixed(0)} %`, fmtCpuUs(median(s.map((x) => x.cpuUsPerReq))), s.map((x) => fmtInt(x.rps)).join(' ')]
  })
  for (const line of renderTable(['how', 'req/s (median)', 'of standalone', 'CPU µs/req', 'rounds'], rows, 'lrrrl')) console.log(line)
}

if (process.argv[2] === '--standalone-child') {
  const sample = await standaloneChild(process.argv[3]!, Number(process.argv[4]), 50)
  process.send?.(sample)
  process.disconnect?.()
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
