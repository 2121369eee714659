import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Builds the workspace packages these tests import when they are not built yet.
    globalSetup: ['../../scripts/build-deps.mjs'],
    // runBench forks a Node worker per client and workload; on a loaded 2-core box that takes seconds.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
})
