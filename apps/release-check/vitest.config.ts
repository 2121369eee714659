import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Builds the workspace packages these tests pack, install and compile against when they are not built yet.
    globalSetup: ['../../scripts/build-deps.mjs'],
    // Packing, npm install and tsc runs take tens of seconds on a loaded 2-core box.
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
})
