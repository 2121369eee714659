// The vitest JSON reports of every workspace package (<pkg>/test-results/vitest.json), summed into
// the closing line CI reads: "tests: N passed, N failed[, N skipped]".
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const GROUPS = ['packages', 'apps']

export function clearTestReports(root) {
  for (const group of GROUPS) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) rmSync(join(dir, name, 'test-results'), { recursive: true, force: true })
  }
}

export function collectTestReports(root) {
  let passed = 0, failed = 0, skipped = 0, files = 0
  for (const group of GROUPS) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const report = join(dir, name, 'test-results', 'vitest.json')
      if (!existsSync(report)) continue
      const r = JSON.parse(readFileSync(report, 'utf8'))
      passed += r.numPassedTests
      failed += r.numFailedTests
      skipped += r.numPendingTests + (r.numTodoTests ?? 0)
      files++
    }
  }
  return { passed, failed, skipped, files }
}

/** Prints the summary; returns the exit status given turbo's. */
export function reportTests(root, status, label = '') {
  const { passed, failed, skipped, files } = collectTestReports(root)
  console.log(`\n[sonic] ${files} package test reports${label}`)
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  if (failed > 0 && status === 0) return 1
  if (passed === 0 && status === 0) {
    console.error('[sonic] no test ran')
    return 1
  }
  return status
}
