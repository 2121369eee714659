import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Builds the workspace packages these tests import when they are not built yet.
    globalSetup: ['../../scripts/build-deps.mjs'],
    // Thousands of real streams on a loaded 2-core box: generous limits, no timing assertions.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
