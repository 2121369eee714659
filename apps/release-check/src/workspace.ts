// Where the workspace is and what it publishes: every packages/* that is not private.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const pnpmBin = join(root, '.tools', 'node_modules', '.bin', 'pnpm')
export const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
/** Scratch space inside this app (gitignored): module resolution from here reaches the workspace packages. */
export const scratch = join(root, 'apps', 'release-check', '.tmp')

export interface PackageJson {
  name: string
  version: string
  private?: boolean
  main?: string
  types?: string
  repository?: { type: string; url: string; directory?: string }
  homepage?: string
  bugs?: { url: string }
  publishConfig?: { access?: string }
  engines?: { node?: string }
  exports?: Record<string, unknown>
  files?: string[]
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  scripts?: Record<string, string>
}

export interface WorkspacePackage {
  /** Folder name under packages/. */
  folder: string
  dir: string
  pkg: PackageJson
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

/** The packages a user installs: packages/* without `"private": true`, sorted by folder. */
export function publishedPackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = []
  const dir = join(root, 'packages')
  for (const folder of readdirSync(dir).sort()) {
    const file = join(dir, folder, 'package.json')
    if (!existsSync(file)) continue
    const pkg = readJson<PackageJson>(file)
    if (pkg.private === true) continue
    out.push({ folder, dir: join(dir, folder), pkg })
  }
  return out
}
