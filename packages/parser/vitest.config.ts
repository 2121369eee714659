import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests import src/, which loads dist/llhttp.wasm: make sure it exists.
    globalSetup: ['../../scripts/build-deps.mjs', './test/global-setup.ts'],
  },
})
