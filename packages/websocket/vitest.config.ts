import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Builds the workspace packages these tests import when they are not built yet.
    globalSetup: ['../../scripts/build-deps.mjs'],
  },
})
