// Produces dist/llhttp.wasm (the same script the build runs) so the tests can run from src/.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/extract-wasm.mjs', import.meta.url))
  execFileSync(process.execPath, [script], { stdio: 'ignore' })
}
