#!/usr/bin/env node
// Produces dist/llhttp.wasm: the llhttp 9 WASM build that the pinned `llhttp-wasm` package embeds
// as a base64 string in out/index.js. Only the bytes are taken; that package's JS wrapper is never
// loaded at runtime. Run by tsup's onSuccess hook (so `tsup` and `pnpm build` both produce it) and
// by the vitest global setup. `test/binary.test.ts` checks the result against the package.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const packageRoot = join(here, '..')

/** The WASM bytes embedded in the installed llhttp-wasm, with its version and where they came from. */
export function readEmbeddedWasm() {
  const require = createRequire(join(packageRoot, 'package.json'))
  const pkgPath = require.resolve('llhttp-wasm/package.json')
  const { version } = JSON.parse(readFileSync(pkgPath, 'utf8'))
  const source = join(dirname(pkgPath), 'out', 'index.js')
  const text = readFileSync(source, 'utf8')
  const found = /\bbinaryString\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(text)
  if (found === null) throw new Error(`No embedded WASM (binaryString) found in ${source}`)
  const bytes = Buffer.from(found[1], 'base64')
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x0061736d) {
    throw new Error(`The string embedded in ${source} is not a WebAssembly module`)
  }
  return { bytes, version, source }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { bytes, version } = readEmbeddedWasm()
  const out = join(packageRoot, 'dist', 'llhttp.wasm')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, bytes)
  console.log(`llhttp.wasm: ${bytes.length} bytes from llhttp-wasm@${version} -> ${out}`)
}
