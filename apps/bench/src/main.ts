// `npm run bench` → node --expose-gc dist/main.js [options]
import { existsSync } from 'node:fs'
import { isSonicError } from '@sonic/core'
import { USAGE, parseArgs } from './args.js'
import { findNginx, runBench } from './bench.js'
import { BASELINE, PEERS } from './peers/index.js'
import { defaultResultsDir, writeResults } from './report.js'
import { renderChart } from './svg-chart.js'
import { WORKLOAD_GROUPS, WORKLOADS, selectWorkloads } from './workloads.js'

/** Flags given as `npm run bench -- …` (scripts/run.mjs passes them as JSON in BENCH_ARGS). */
function benchArgsFromEnv(): string[] {
  const raw = process.env.BENCH_ARGS
  if (raw === undefined || raw === '') return []
  const parsed: unknown = JSON.parse(raw)
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error('BENCH_ARGS must be a JSON array of strings')
  return parsed
}

async function main(argv: readonly string[]): Promise<number> {
  let options
  try {
    options = parseArgs(argv, { peers: PEERS.map((p) => p.name), workloads: [...WORKLOADS.map((w) => w.name), ...WORKLOAD_GROUPS] }, process.env)
  } catch (err) {
    if (!isSonicError(err)) throw err
    console.error(err.message)
    return 2
  }
  if (options.help) {
    console.log(USAGE)
    console.log('\nclients:')
    for (const p of PEERS) console.log(`  ${p.name.padEnd(16)} ${p.description}`)
    console.log('\nworkloads:')
    for (const w of WORKLOADS) console.log(`  ${w.name.padEnd(16)} ${w.label}${w.quick ? '' : ' (not in --quick)'}`)
    for (const g of WORKLOAD_GROUPS) console.log(`  ${g.padEnd(16)} group: ${WORKLOADS.filter((w) => w.group === g).map((w) => w.name).join(', ')}`)
    return 0
  }
  const workloads = selectWorkloads(WORKLOADS, options)
  // The baselines of the workloads that run are always measured: every ratio is relative to one.
  const baselines = workloads.flatMap((w) => [w.baseline ?? BASELINE, ...(w.reference !== undefined ? [w.reference] : [])])
  const wanted = new Set(options.only.length ? [...options.only, ...baselines] : PEERS.map((p) => p.name))
  const peers = PEERS.filter((p) => wanted.has(p.name))

  if (options.server === 'nginx' && findNginx() === undefined) {
    console.error('--server nginx: nginx is not on PATH (apt-get install nginx; the bench does not install it)')
    return 2
  }
  if (options.node !== undefined && !existsSync(options.node)) {
    console.error(`--node: ${options.node} does not exist`)
    return 2
  }
  const report = await runBench({ options, peers, workloads, baseline: BASELINE })
  const files = await writeResults(options.outDir ?? defaultResultsDir(), report, renderChart(report))
  console.log(`\nresults: ${files.join(', ')}`)
  const failed = report.workloads.some((w) => w.clients.some((c) => c.status === 'failed'))
  return failed ? 1 : 0
}

main([...process.argv.slice(2), ...benchArgsFromEnv()]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
