// The peer libraries that come in two majors: undici 8 and got 16 need Node >= 22.19 / 22, so on
// Node 20 the bench runs undici 7.x and got 14 instead (package.json has both as aliases:
// undici7/undici8, got14/got16). Loaded on demand, so the bench's main process (which only needs
// the peers' names) never loads a client library.
import { readFileSync } from 'node:fs'

export type Undici = typeof import('undici7')
export type GotModule = typeof import('got14')

/** [major, minor] of a Node version string like `v22.19.0` or `22.19.0`. */
export function nodeMajorMinor(version: string = process.versions.node): [number, number] {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  return [major, minor]
}

/** Which alias this Node runs: undici8 on Node >= 22.19, else undici7. */
export function undiciAlias(version?: string): 'undici7' | 'undici8' {
  const [major, minor] = nodeMajorMinor(version)
  return major > 22 || (major === 22 && minor >= 19) ? 'undici8' : 'undici7'
}

/** Which alias this Node runs: got16 on Node >= 22, else got14. */
export function gotAlias(version?: string): 'got14' | 'got16' {
  return nodeMajorMinor(version)[0] >= 22 ? 'got16' : 'got14'
}

/**
 * Version of a package (or alias) installed in apps/bench/node_modules, read from its
 * package.json (some packages' `exports` hide it from require); undefined if absent.
 */
export function packageVersion(name: string): string | undefined {
  try {
    const file = new URL(`../node_modules/${name}/package.json`, import.meta.url)
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  } catch {
    return undefined
  }
}

let undici: Promise<Undici> | undefined
/** The undici this Node should run (see undiciAlias). */
export function loadUndici(): Promise<Undici> {
  undici ??= (undiciAlias() === 'undici8' ? (import('undici8') as unknown as Promise<Undici>) : import('undici7'))
  return undici
}

/** Major version of the undici loadUndici() gives. */
export function undiciMajor(): number {
  return Number((packageVersion(undiciAlias()) ?? '0').split('.')[0])
}

let got: Promise<GotModule> | undefined
/** The got this Node should run (see gotAlias). */
export function loadGot(): Promise<GotModule> {
  got ??= (gotAlias() === 'got16' ? (import('got16') as unknown as Promise<GotModule>) : import('got14'))
  return got
}

/** The versions of the peer libraries this Node runs, for the report. */
export function peerVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node }
  const pick = (label: string, pkg: string): void => {
    const v = packageVersion(pkg)
    if (v !== undefined) out[label] = v
  }
  pick('undici', undiciAlias())
  pick('got', gotAlias())
  pick('axios', 'axios')
  pick('node-fetch', 'node-fetch')
  if (process.versions.undici !== undefined) out['fetch (Node bundled undici)'] = process.versions.undici
  pick('@sonic/client', '@sonic/client')
  return out
}
