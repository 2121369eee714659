// vitest globalSetup of every package with workspace dependencies: the tests import those
// dependencies' built dist/, so when one is missing (a clean clone running
// `pnpm --filter @sonic/<name> test` without turbo) it builds the package's dependencies first
// with pnpm. Under `npm test` turbo has built them already and this only checks.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function workspacePackages() {
  const byName = new Map()
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8'))
      byName.set(pkg.name, { dir: join(dir, name), pkg })
    }
  }
  return byName
}

/** Names of the workspace packages `pkg` depends on, directly or not. */
function dependencies(pkg, all, seen = new Set()) {
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const dep = all.get(name)
    if (dep === undefined || seen.has(name)) continue
    seen.add(name)
    dependencies(dep.pkg, all, seen)
  }
  return seen
}

export default function setup() {
  const all = workspacePackages()
  const self = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'))
  // Only packages that build: a source-only one (the private @sonic/test-utils) has no dist/.
  const missing = [...dependencies(self, all)].filter((name) => {
    const dep = all.get(name)
    return dep.pkg.scripts?.build !== undefined && !existsSync(join(dep.dir, 'dist', 'index.js'))
  })
  if (missing.length === 0) return
  console.log(`[sonic] building the dependencies of ${self.name} (${missing.join(', ')} not built)`)
  // pnpm (which runs this test script) builds the dependencies in topological order.
  const execpath = process.env.npm_execpath ?? ''
  const viaPnpm = /pnpm/.test(execpath)
  const pnpm = viaPnpm ? [process.execPath, execpath] : [join(root, '.tools', 'node_modules', '.bin', 'pnpm')]
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), '--filter', `${self.name}^...`, 'run', 'build'], {
    cwd: root,
    stdio: 'inherit',
  })
  if (r.status !== 0) throw new Error(`[sonic] building the dependencies of ${self.name} failed`)
}
