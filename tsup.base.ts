// Shared tsup settings: every package builds src/index.ts to ESM + CJS with bundled .d.ts.
import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

/**
 * `@internal` members stay out of the published types (TypeScript's stripInternal, which tsup's
 * dts build honours). Tag members, or top-level declarations that no other file imports: a
 * stripped declaration that another file imports fails the dts build ("X is not exported"); such
 * a declaration says "Not part of the public API" in a plain comment instead. A package listed
 * here keeps its @internal members: @sonic/http2, whose Http2Connection implements
 * ExchangeSession with @internal members (dead, destroyError, exchangeDone) and names the
 * @internal StreamExchange, so stripping them leaves its published types broken.
 * apps/release-check's hygiene test fails when a package outside this list ships one, or one in
 * it no longer does.
 */
export const KEEP_INTERNAL: readonly string[] = ['@sonic/http2']
const name = (JSON.parse(readFileSync('package.json', 'utf8')) as { name: string }).name

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { stripInternal: !KEEP_INTERNAL.includes(name) } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  shims: true,
})
