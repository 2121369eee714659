// Release hygiene of every published package, read from the repository: the fields npm shows,
// the exports map, what is a dependency, LICENSE, CHANGELOG, absolute README links, changesets,
// and that the API reference generator still runs.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describe as explain, exec } from '../src/exec.js'
import { publishedPackages, readJson, root, type PackageJson } from '../src/workspace.js'
import { KEEP_INTERNAL } from '../../../tsup.base.js'

const pkgs = publishedPackages()
const rootPkg = readJson<PackageJson & { packageManager: string }>(join(root, 'package.json'))
const REPO = 'https://github.com/sonic-http/sonic'
/** Packages only a build or a test needs: never a dependency of a published package. */
const BUILD_ONLY = /^(typescript|tsup|esbuild|vitest|turbo|llhttp-wasm|@types\/.*|@sonic\/test-utils|publint|@arethetypeswrong\/.*|typedoc.*|@changesets\/.*)$/

describe.each(pkgs.map((p) => [p.pkg.name, p] as const))('%s', (_name, { folder, dir, pkg }) => {
  it('names the repository, homepage, bugs and public access, and the supported Node', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPO}.git`, directory: `packages/${folder}` })
    expect(pkg.homepage).toBe(`${REPO}/tree/main/packages/${folder}#readme`)
    expect(pkg.bugs).toEqual({ url: `${REPO}/issues` })
    expect(pkg.publishConfig?.access).toBe('public')
    expect(pkg.engines?.node).toBe(rootPkg.engines?.node)
  })

  it('exports ESM and CJS with their own types first, and ./package.json', () => {
    expect(pkg.exports?.['./package.json']).toBe('./package.json')
    const dot = pkg.exports?.['.'] as Record<string, Record<string, string>>
    expect(Object.keys(dot.import ?? {})).toEqual(['types', 'default'])
    expect(Object.keys(dot.require ?? {})).toEqual(['types', 'default'])
    expect(dot.require?.types).toMatch(/\.d\.cts$/)
    expect(pkg.files).toEqual(['dist'])
  })

  it('depends only on what its built code imports (build-time packages are devDependencies)', () => {
    const deps = Object.keys(pkg.dependencies ?? {})
    expect(deps.filter((d) => BUILD_ONLY.test(d))).toEqual([])
    const built = ['index.js', 'index.cjs'].map((f) => readFileSync(join(dir, 'dist', f), 'utf8')).join('\n')
    const imported = (d: string) => new RegExp(`["']${d.replace(/[/.]/g, '\\$&')}(/[^"']*)?["']`).test(built)
    expect(deps.filter((d) => !imported(d))).toEqual([])
  })

  it('publishes types without @internal members (stripInternal), unless tsup.base.ts lists it', () => {
    const types = ['index.d.ts', 'index.d.cts'].map((f) => readFileSync(join(dir, 'dist', f), 'utf8')).join('\n')
    const internal = (types.match(/@internal\b/g) ?? []).length
    if (KEEP_INTERNAL.includes(pkg.name)) expect(internal, 'listed in KEEP_INTERNAL but ships no @internal: drop it from the list').toBeGreaterThan(0)
    else expect(internal).toBe(0)
  })

  it('ships the repository LICENSE and has a CHANGELOG.md for its version', () => {
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'))
    const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')
    expect(changelog.split('\n')[0]).toBe(`# ${pkg.name}`)
    expect(changelog).toMatch(new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}$`, 'm'))
  })

  it('has a README whose links work on npm (absolute or in-page)', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1] ?? '')
    expect(links.filter((l) => !/^(https?:\/\/|#|mailto:)/.test(l))).toEqual([])
  })
})

describe('the workspace', () => {
  it('publishes every package under packages/ except test-utils', () => {
    const folders = readdirSync(join(root, 'packages')).filter((f) => existsSync(join(root, 'packages', f, 'package.json')))
    expect(folders.filter((f) => !pkgs.some((p) => p.folder === f))).toEqual(['test-utils'])
  })

  it('has a changesets config and only well-formed pending changesets', () => {
    const config = readJson<{ access: string; baseBranch: string; changelog: string }>(join(root, '.changeset', 'config.json'))
    expect(config).toMatchObject({ access: 'public', baseBranch: 'main', changelog: '@changesets/cli/changelog' })
    const names = new Set(pkgs.map((p) => p.pkg.name))
    for (const file of readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
      const text = readFileSync(join(root, '.changeset', file), 'utf8')
      const front = /^---\n([\s\S]*?)\n---\n\s*\S/.exec(text)
      expect(front, file).not.toBeNull()
      for (const line of (front?.[1] ?? '').split('\n')) {
        const m = /^"(@sonic\/[a-z0-9-]+)": (patch|minor|major)$/.exec(line)
        expect(m, `${file}: ${line}`).not.toBeNull()
        expect(names.has(m?.[1] ?? ''), `${file}: ${line}`).toBe(true)
      }
    }
  })

  it('pins the Node 24 the CI runs the suite on', () => {
    const script = readFileSync(join(root, 'scripts', 'test-node24.mjs'), 'utf8')
    expect(script).toMatch(/const NODE_VERSION = '24\.\d+\.\d+'/)
  })

  it('generates the API reference (npm run docs:api) from the doc comments', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sonic-api-'))
    try {
      const r = await exec(process.execPath, [join(root, 'scripts', 'docs-api.mjs'), '--no-build', '--only', 'core', '--out', out], {
        cwd: root,
        timeoutMs: 120_000,
      })
      expect(r.code, explain('docs-api.mjs', r)).toBe(0)
      expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('[@sonic/core](core/README.md)')
      const timeouts = readFileSync(join(out, 'core', 'classes', 'Timeouts.md'), 'utf8')
      expect(timeouts).toContain('sockConnect')
      expect(timeouts).toContain(`${REPO}/blob/main/packages/core/src/timeouts.ts#L`)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
