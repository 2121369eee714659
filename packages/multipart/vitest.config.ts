import { defineConfig } from 'vitest/config'

// Forks with --expose-gc: the memory test forces collections to measure what the form retains.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Builds the workspace packages these tests import when they are not built yet.
    globalSetup: ['../../scripts/build-deps.mjs'],
  },
})
