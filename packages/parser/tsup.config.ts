// The shared settings, plus one step: after every build, write dist/llhttp.wasm (tsup's `clean`
// empties dist/ first, so the binary is produced by the same command that produces the JS).
import { defineConfig } from 'tsup'
import base from '../../tsup.base'

export default defineConfig({
  ...(base as object),
  onSuccess: 'node scripts/extract-wasm.mjs',
})
