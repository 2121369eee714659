// What a user outside the monorepo gets: every published package packed with pnpm (workspace:*
// replaced by real versions), linted (publint, arethetypeswrong), installed with plain npm into a
// fresh project, and used from ESM, CJS and TypeScript against a local server. The consumers run
// as child processes that must exit by themselves: a socket or timer left open keeps one alive
// and fails it by timeout.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import * as http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NET_HANDLES, createLeakCheck, start, type Started } from '@sonic/test-utils'
import { packageNames, writeConsumerProject } from '../src/consumers.js'
import { cleanEnv, describe as explain, exec, mapLimit } from '../src/exec.js'
import { pnpmBin, publishedPackages, readJson, root, tscBin, type PackageJson } from '../src/workspace.js'

const pkgs = publishedPackages()
const names = packageNames(pkgs)
const self = readJson<PackageJson>(join(root, 'apps', 'release-check', 'package.json'))
const bin = (name: string) => join(root, 'apps', 'release-check', 'node_modules', '.bin', name)
const leaks = createLeakCheck({ ours: () => false, handles: NET_HANDLES })

let work = ''
let server: Started<http.Server>
let origin = ''
const tarballs = new Map<string, string>()
let baseline: Record<string, number> = {}

/** The local server every consumer talks to: JSON describing the request. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://x')
    const payload =
      url.pathname === '/echo'
        ? { method: req.method, json: body === '' ? null : (JSON.parse(body) as unknown) }
        : { path: url.pathname, query: url.search, method: req.method, headers: { 'x-consumer': req.headers['x-consumer'] ?? '' } }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(payload))
  })
}

beforeAll(async () => {
  baseline = leaks.resourceBaseline()
  for (const p of pkgs) {
    const dist = readdirSync(p.dir).includes('dist') ? readdirSync(join(p.dir, 'dist')) : []
    if (!dist.includes('index.js')) throw new Error(`${p.pkg.name} is not built (no dist/index.js): is it a devDependency of @sonic/release-check?`)
  }
  work = mkdtempSync(join(tmpdir(), 'sonic-pack-'))
  const out = join(work, 'tarballs')
  await mapLimit(pkgs, 3, async (p) => {
    const r = await exec(pnpmBin, ['pack', '--pack-destination', out], { cwd: p.dir, timeoutMs: 60_000 })
    if (r.code !== 0) throw new Error(explain(`pnpm pack (${p.pkg.name})`, r))
  })
  for (const p of pkgs) tarballs.set(p.pkg.name, join(out, `${p.pkg.name.replace('@', '').replace('/', '-')}-${p.pkg.version}.tgz`))
  const project = join(work, 'project')
  writeConsumerProject(project, tarballs, join(root, 'node_modules', '@types'))
  const npm = await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    timeoutMs: 120_000,
  })
  if (npm.code !== 0) throw new Error(explain('npm install', npm))
  server = await start(http.createServer(handler))
  origin = `http://127.0.0.1:${server.port}`
}, 240_000)

afterAll(async () => {
  await server?.close()
  if (work !== '') rmSync(work, { recursive: true, force: true })
  await leaks.expectNoLeaks(baseline)
})

const project = () => join(work, 'project')
const consumerEnv = () => cleanEnv({ ORIGIN: origin, SONIC_PACKAGES: JSON.stringify(names) })

describe('the published packages', () => {
  it('are all devDependencies of this app, so turbo builds them before these tests', () => {
    expect(pkgs.length).toBeGreaterThanOrEqual(10)
    const missing = names.filter((n) => self.devDependencies?.[n] !== 'workspace:*')
    expect(missing).toEqual([])
  })

  it('pack with real versions instead of workspace:*', async () => {
    for (const [name, file] of tarballs) {
      const r = await exec('tar', ['-xzOf', file, 'package/package.json'], { cwd: work })
      expect(r.code, name).toBe(0)
      const packed = JSON.parse(r.stdout) as PackageJson
      expect(packed.name).toBe(name)
      const ranges = { ...packed.dependencies, ...packed.peerDependencies }
      for (const [dep, range] of Object.entries(ranges)) {
        expect(range, `${name} → ${dep}`).not.toMatch(/^(workspace|file|link):/)
        if (dep.startsWith('@sonic/')) expect(range, `${name} → ${dep}`).toBe(readJson<PackageJson>(join(root, 'packages', dep.slice(7), 'package.json')).version)
      }
    }
  })

  it('ship dist/, package.json, README.md and LICENSE and nothing else', async () => {
    for (const [name, file] of tarballs) {
      const r = await exec('tar', ['-tzf', file], { cwd: work })
      const files = r.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''))
      expect(files.filter((f) => !f.startsWith('dist/')).sort(), name).toEqual(['LICENSE', 'README.md', 'package.json'])
      expect(files, name).toContain('dist/index.js')
      expect(files, name).toContain('dist/index.cjs')
      expect(files, name).toContain('dist/index.d.ts')
      expect(files, name).toContain('dist/index.d.cts')
    }
  })

  it('are clean under publint --strict', async () => {
    const results = await mapLimit([...tarballs], 2, async ([name, file]) => {
      const r = await exec(bin('publint'), ['run', file, '--strict'], { cwd: work, timeoutMs: 60_000 })
      return { name, ok: r.code === 0 && /All good/.test(r.stdout), out: r.stdout + r.stderr }
    })
    expect(results.filter((r) => !r.ok)).toEqual([])
  })

  it('are clean under arethetypeswrong (node10, node16 CJS and ESM, bundler)', async () => {
    // In-process (the CLI would load TypeScript once per tarball): every entry point, every resolution.
    const attw = await import('@arethetypeswrong/core')
    const results: { name: string; problems: unknown[] }[] = []
    for (const [name, file] of tarballs) {
      const analysis = await attw.checkPackage(attw.createPackageFromTarballData(new Uint8Array(readFileSync(file))))
      results.push({ name, problems: analysis.types === false ? ['no types found'] : analysis.problems })
    }
    expect(results.filter((r) => r.problems.length > 0)).toEqual([])
  })

  it('install with plain npm, without build-time packages (typescript, llhttp-wasm, test-utils)', () => {
    const top = readdirSync(join(project(), 'node_modules'))
    const scoped = readdirSync(join(project(), 'node_modules', '@sonic')).map((n) => `@sonic/${n}`)
    expect(scoped.sort()).toEqual([...names].sort())
    for (const unwanted of ['typescript', 'llhttp-wasm', 'tsup', 'vitest', 'esbuild']) expect(top).not.toContain(unwanted)
    expect(scoped).not.toContain('@sonic/test-utils')
    // Each installed @sonic package is the packed one (no copy fetched from a registry).
    for (const name of names) {
      const installed = readJson<PackageJson>(join(project(), 'node_modules', name, 'package.json'))
      expect(installed.version, name).toBe(pkgs.find((p) => p.pkg.name === name)?.pkg.version)
      expect(installed.repository?.directory, name).toBe(`packages/${name.slice(7)}`)
    }
  })
})

describe('consumers of the installed tarballs', () => {
  const expectConsumer = (stdout: string, who: string) => {
    const line = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      status: number
      body: { path: string; query: string; method: string; headers: Record<string, string> }
      posted: { method: string; json: unknown }
      exported: Record<string, number>
      connectError: string
    }
    expect(line.status).toBe(200)
    expect(line.body).toEqual({ path: '/hello', query: `?from=${who}`, method: 'GET', headers: { 'x-consumer': who } })
    expect(line.posted).toEqual({ method: 'POST', json: { n: 1 } })
    expect(line.connectError).toBe('function')
    for (const name of names) expect(line.exported[name], name).toBeGreaterThan(0)
  }

  it('ESM: import from every package, a GET and a JSON POST', async () => {
    const r = await exec(process.execPath, ['esm.mjs'], { cwd: project(), env: consumerEnv(), timeoutMs: 30_000 })
    expect(r.code, explain('node esm.mjs', r)).toBe(0)
    expectConsumer(r.stdout, 'esm')
  })

  it('CJS: require every package, a GET and a JSON POST', async () => {
    const r = await exec(process.execPath, ['cjs.cjs'], { cwd: project(), env: consumerEnv(), timeoutMs: 30_000 })
    expect(r.code, explain('node cjs.cjs', r)).toBe(0)
    expectConsumer(r.stdout, 'cjs')
  })

  it('TypeScript (module node16): compiles against the published .d.ts/.d.cts and the output runs', async () => {
    const tsc = await exec(process.execPath, [tscBin, '-p', 'tsconfig.node16.json'], { cwd: project(), timeoutMs: 90_000 })
    expect(tsc.code, explain('tsc -p tsconfig.node16.json', tsc)).toBe(0)
    const r = await exec(process.execPath, [join('out', 'ts', 'main.js')], { cwd: project(), env: consumerEnv(), timeoutMs: 30_000 })
    expect(r.code, explain('node out/ts/main.js', r)).toBe(0)
    const line = JSON.parse(r.stdout.trim()) as { status: number; body: { path: string; headers: Record<string, string> }; isError: boolean }
    expect(line).toMatchObject({ status: 200, body: { path: '/hello', headers: { 'x-consumer': 'ts' } }, isError: true })
  })

  it('TypeScript (nodenext and bundler resolution): compiles', async () => {
    for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const tsc = await exec(process.execPath, [tscBin, '-p', config], { cwd: project(), timeoutMs: 90_000 })
      expect(tsc.code, explain(`tsc -p ${config}`, tsc)).toBe(0)
    }
  })

  it('TypeScript: a type error in a consumer is reported (the check can fail)', async () => {
    const bad = join(project(), 'ts', 'bad.ts')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(bad, `import { HTTPClient } from '@sonic/client'\nnew HTTPClient({ maxRedirects: 'five' })\n`)
    try {
      const tsc = await exec(process.execPath, [tscBin, '-p', 'tsconfig.bundler.json'], { cwd: project(), timeoutMs: 90_000 })
      expect(tsc.code).not.toBe(0)
      expect(tsc.stdout).toMatch(/bad\.ts.*TS2322/)
    } finally {
      rmSync(bad)
    }
  })
})
