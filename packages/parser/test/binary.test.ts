// Provenance of the WASM binary: the bytes this package loads at runtime are exactly the llhttp
// build embedded in the pinned llhttp-wasm@1.0.3 (decoded here independently of the build script).
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { llhttpWasmBytes, llhttpWasmPath } from '../src/index.js'

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>
}
const require = createRequire(import.meta.url)
const pinnedDir = dirname(require.resolve('llhttp-wasm/package.json'))

/** The base64 string assigned to `binaryString` in llhttp-wasm's out/index.js, decoded. */
function pinnedBytes(): Buffer {
  const source = readFileSync(join(pinnedDir, 'out', 'index.js'), 'utf8')
  const marker = 'let binaryString = "'
  const start = source.indexOf(marker)
  expect(start).toBeGreaterThan(0)
  const end = source.indexOf('"', start + marker.length)
  return Buffer.from(source.slice(start + marker.length, end), 'base64')
}

/** sha256 of llhttp-wasm@1.0.3's embedded binary (also in docs/parser.md). */
const PINNED_SHA256 = '259f8302ac0f7fd7d38469e0d16b505e59c6b432cc5eb856be4d012260de0e11'

describe('the llhttp WASM binary', () => {
  it('comes from llhttp-wasm pinned at exactly 1.0.3', () => {
    // A build-time input only (dist/ embeds the extracted binary): a devDependency, so consumers
    // do not install it (nor TypeScript, its peer).
    expect(packageJson.devDependencies['llhttp-wasm']).toBe('1.0.3')
    const installed = JSON.parse(readFileSync(join(pinnedDir, 'package.json'), 'utf8')) as { version: string }
    expect(installed.version).toBe('1.0.3')
  })

  it('is byte-identical to the one the pinned package embeds', () => {
    const loaded = llhttpWasmBytes()
    const pinned = pinnedBytes()
    expect(loaded.length).toBe(pinned.length)
    expect(Buffer.compare(Buffer.from(loaded), pinned)).toBe(0)
    expect(llhttpWasmPath().endsWith(join('dist', 'llhttp.wasm'))).toBe(true)
  })

  it('has the recorded sha256', () => {
    expect(createHash('sha256').update(llhttpWasmBytes()).digest('hex')).toBe(PINNED_SHA256)
  })

  it('is llhttp with the interface the glue expects', () => {
    const module = new WebAssembly.Module(llhttpWasmBytes())
    const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`).sort()
    expect(imports).toEqual(
      ['headers_complete', 'message_begin', 'url', 'status', 'header_field', 'header_value', 'body', 'message_complete'].map((n) => `env.wasm_on_${n}`).sort(),
    )
    const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name))
    for (const name of ['memory', '_initialize', 'malloc', 'free', 'llhttp_alloc', 'llhttp_init', 'llhttp_settings_init', 'llhttp_execute', 'llhttp_finish', 'llhttp_reset', 'llhttp_resume', 'llhttp_get_error_pos', 'llhttp_errno_name', 'llhttp_should_keep_alive']) {
      expect(exports.has(name), name).toBe(true)
    }
  })
})
