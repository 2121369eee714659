import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/main.ts', 'src/server.ts', 'src/worker.ts', 'src/fairness.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
})
