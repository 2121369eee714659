#!/usr/bin/env node
// One entry for the README's commands on a machine that has only Node and npm:
//   node scripts/run.mjs <build|test|typecheck|bench> [-- args for the task]
// It installs the pinned pnpm into .tools/ (once), installs the workspace from the lockfile,
// then runs the turbo task. For `test` it sums every package's vitest JSON report and prints one
// closing line "tests: N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { clearTestReports, reportTests } from './lib/test-reports.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const pnpmVersion = pkg.packageManager.split('@')[1]
const tools = join(root, '.tools')
const toolsBin = join(tools, 'node_modules', '.bin')

const env = {
  ...process.env,
  PATH: `${toolsBin}${delimiter}${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit', ...opts })
  if (r.error) throw r.error
  return r.status ?? 1
}

function pnpmInstalled() {
  const p = join(tools, 'node_modules', 'pnpm', 'package.json')
  return existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).version === pnpmVersion
}

function ensurePnpm() {
  if (pnpmInstalled()) return
  console.log(`[sonic] installing pnpm ${pnpmVersion} into .tools/`)
  const status = run('npm', [
    'install', '--prefix', tools, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
    '--loglevel=error', `pnpm@${pnpmVersion}`,
  ])
  if (status !== 0) process.exit(status)
}

const [task = 'test', ...rest] = process.argv.slice(2)
ensurePnpm()
const installArgs = ['install', '--prefer-offline']
if (existsSync(join(root, 'pnpm-lock.yaml'))) installArgs.push('--frozen-lockfile')
let status = run('pnpm', installArgs)
if (status !== 0) process.exit(status)

if (task === 'test') clearTestReports(root)
// `test` typechecks every package (sources and tests) as well: vitest alone does not.
const tasks = task === 'test' ? ['typecheck', 'test'] : [task]
const turboArgs = ['exec', 'turbo', 'run', ...tasks, '--output-logs=new-only']
if (process.env.CI) turboArgs.push('--concurrency=1')
const args = rest.filter((a) => a !== '--')
// The bench's flags go by environment (turbo passes BENCH_* through without hashing it): as
// turbo arguments they would enter every task's hash and rebuild every package on each new flag.
if (task === 'bench' && args.length) env.BENCH_ARGS = JSON.stringify(args)
else if (args.length) turboArgs.push('--', ...args)
status = run('pnpm', turboArgs)

if (task === 'test') status = reportTests(root, status)
process.exit(status)
