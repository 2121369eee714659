// Where the llhttp WASM binary lives at runtime. scripts/extract-wasm.mjs writes it to
// dist/llhttp.wasm, next to the built index.js/index.cjs; when this module runs from src/ (tests),
// it is one folder up in dist/.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const CANDIDATES = ['./llhttp.wasm', '../dist/llhttp.wasm']

/** Absolute path of the llhttp WASM binary this package loads. */
export function llhttpWasmPath(): string {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url))
    if (existsSync(path)) return path
  }
  throw new Error('@sonic/parser: llhttp.wasm not found next to the module; build the package (scripts/extract-wasm.mjs)')
}

/**
 * The bytes of the llhttp WASM binary this package loads (a fresh copy). It is llhttp 9's
 * standard WASM build, byte-identical to the one embedded in `llhttp-wasm@1.0.3`.
 */
export function llhttpWasmBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(llhttpWasmPath()))
}
