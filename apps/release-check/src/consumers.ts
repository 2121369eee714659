// The consumer project the pack test writes: a fresh folder outside the workspace that depends on
// the tarballs only, with an ESM, a CJS and a TypeScript consumer of @sonic/client.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { WorkspacePackage } from './workspace.js'

/** What every consumer does: one GET and one JSON POST to ORIGIN, printing one JSON line. */
const ESM = `import * as client from '@sonic/client'
const { HTTPClient, ConnectError } = client
const names = JSON.parse(process.env.SONIC_PACKAGES)
const exported = {}
for (const name of names) exported[name] = Object.keys(await import(name)).length
const http = new HTTPClient({ headers: { 'x-consumer': 'esm' } })
try {
  const res = await http.get(process.env.ORIGIN + '/hello', { params: { from: 'esm' } })
  const body = await res.json()
  const posted = await (await http.post(process.env.ORIGIN + '/echo', { json: { n: 1 } })).json()
  console.log(JSON.stringify({ status: res.status, body, posted, exported, connectError: typeof ConnectError }))
} finally {
  await http.close()
}
`

const CJS = `'use strict'
const { HTTPClient, ConnectError } = require('@sonic/client')
const names = JSON.parse(process.env.SONIC_PACKAGES)
const exported = {}
for (const name of names) exported[name] = Object.keys(require(name)).length
async function main() {
  const http = new HTTPClient({ headers: { 'x-consumer': 'cjs' } })
  try {
    const res = await http.get(process.env.ORIGIN + '/hello', { params: { from: 'cjs' } })
    const body = await res.json()
    const posted = await (await http.post(process.env.ORIGIN + '/echo', { json: { n: 1 } })).json()
    console.log(JSON.stringify({ status: res.status, body, posted, exported, connectError: typeof ConnectError }))
  } finally {
    await http.close()
  }
}
main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
`

/** Typed use of the public API: wrong types here are what a user would hit. */
const TS = `import { HTTPClient, HttpHeaders, SonicError, Timeouts, type HttpResponse } from '@sonic/client'
import { ConnectError } from '@sonic/core'

interface Hello { path: string; method: string; headers: Record<string, string> }

export async function main(origin: string): Promise<string> {
  const http = new HTTPClient({ headers: new HttpHeaders({ 'x-consumer': 'ts' }) })
  try {
    const res: HttpResponse = await http.get(origin + '/hello', { timeouts: new Timeouts({ sockRead: 10_000 }) })
    const body = (await res.json()) as Hello
    const status: number = res.status
    const isError: boolean = new ConnectError('x') instanceof SonicError
    return JSON.stringify({ status, body, isError })
  } finally {
    await http.close()
  }
}
`

const TS_MAIN = `import { main } from './consumer.js'
console.log(await main(process.env.ORIGIN ?? ''))
`

/** Writes the project: package.json with file: tarball dependencies (and overrides, so npm never asks the registry for an @sonic package), consumers and tsconfigs. */
export function writeConsumerProject(dir: string, tarballs: ReadonlyMap<string, string>, typeRoots: string): void {
  mkdirSync(join(dir, 'ts'), { recursive: true })
  mkdirSync(join(dir, 'cts'), { recursive: true })
  const deps: Record<string, string> = {}
  for (const [name, file] of tarballs) deps[name] = `file:${file}`
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'sonic-consumer', version: '1.0.0', private: true, dependencies: deps, overrides: deps }, null, 2),
  )
  writeFileSync(join(dir, 'esm.mjs'), ESM)
  writeFileSync(join(dir, 'cjs.cjs'), CJS)
  writeFileSync(join(dir, 'ts', 'consumer.ts'), TS)
  writeFileSync(join(dir, 'ts', 'main.ts'), TS_MAIN)
  writeFileSync(join(dir, 'ts', 'package.json'), JSON.stringify({ type: 'module' }))
  // A CommonJS TypeScript file: it gets the .d.cts types under node16.
  writeFileSync(
    join(dir, 'cts', 'consumer.cts'),
    `import sonic = require('@sonic/client')\nexport const make = (): InstanceType<typeof sonic.HTTPClient> => new sonic.HTTPClient()\n`,
  )
  const common = {
    strict: true,
    target: 'ES2022',
    lib: ['ES2023', 'ESNext.Disposable'],
    types: ['node'],
    typeRoots: [typeRoots],
    skipLibCheck: false,
  }
  const tsconfig = (name: string, compilerOptions: Record<string, unknown>, include: string[]) =>
    writeFileSync(join(dir, name), JSON.stringify({ compilerOptions: { ...common, ...compilerOptions }, include }, null, 2))
  tsconfig('tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16', outDir: 'out' }, ['ts', 'cts'])
  tsconfig('tsconfig.nodenext.json', { module: 'nodenext', moduleResolution: 'nodenext', noEmit: true }, ['ts', 'cts'])
  tsconfig('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler', noEmit: true }, ['ts'])
}

export function packageNames(pkgs: readonly WorkspacePackage[]): string[] {
  return pkgs.map((p) => p.pkg.name)
}
