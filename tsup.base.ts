// Shared tsup settings: every package builds src/index.ts to ESM + CJS with bundled .d.ts.
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  shims: true,
})
