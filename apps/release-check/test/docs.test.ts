// Docs as code: the ts/js blocks of README.md, packages/*/README.md and docs/*.md compile against
// the built packages, and the runnable ones (all but ```ts no-run and ```ts declare) run against a
// local server (src/docs-server.ts: HTTP/1.1 and h2c on one port): http://127.0.0.1:8080 in a block
// is replaced by the server's origin, which is also in process.env.ORIGIN, and http://127.0.0.1:8081
// by a second one's. A runnable block may only name loopback hosts, and must exit by itself
// within the timeout (a client left open keeps it alive). The convention is in docs/README.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NET_HANDLES, createLeakCheck } from '@sonic/test-utils'
import { docFiles, docsDir, rel, runnableFile, typeCheck, writeBlocks, type BlockDiagnostic, type WrittenBlock } from '../src/docs-check.js'
import { startDocServer, type DocServer } from '../src/docs-server.js'
import { cleanEnv, exec, mapLimit } from '../src/exec.js'
import { codeBlocks } from '../src/markdown.js'
import { foreignHosts } from '../src/markdown.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from '../src/workspace.js'

const docs = docFiles().filter((d) => codeBlocks(readFileSync(join(root, d), 'utf8')).length > 0)
const leaks = createLeakCheck({ ours: () => false, handles: NET_HANDLES })

let blocks: WrittenBlock[] = []
let diagnostics = new Map<WrittenBlock, BlockDiagnostic[]>()
let server: DocServer
let second: DocServer
let baseline: Record<string, number> = {}

beforeAll(async () => {
  baseline = leaks.resourceBaseline()
  blocks = writeBlocks(docs)
  diagnostics = typeCheck(blocks)
  server = await startDocServer()
  second = await startDocServer()
}, 180_000)

afterAll(async () => {
  await server?.close()
  await second?.close()
  await leaks.expectNoLeaks(baseline)
})

const show = (ds: BlockDiagnostic[]) => ds.map((d) => `${d.where} ${d.message}`)

describe.each(docs)('%s', (doc) => {
  const mine = () => blocks.filter((b) => b.doc === doc)

  it('every ts/js block type-checks against the built packages', () => {
    expect(mine().length).toBeGreaterThan(0)
    expect(mine().flatMap((b) => show(diagnostics.get(b) ?? [])), doc).toEqual([])
  })

  it('every runnable block names only loopback hosts and runs to a clean exit', async () => {
    const runnable = mine().filter((b) => b.runnable)
    const failures = await mapLimit(runnable, 2, async (b) => {
      const foreign = foreignHosts(b.code)
      if (foreign.length > 0) return `${doc}:${b.line} names ${foreign.join(', ')}: use process.env.ORIGIN, or mark the block \`no-run\``
      const origin = server.origin
      const r = await exec(process.execPath, [runnableFile(b, origin, second.origin)], {
        cwd: docsDir,
        env: cleanEnv({ ORIGIN: origin }),
        timeoutMs: 30_000,
      })
      if (r.code === 0) return null
      const why = r.timedOut ? 'did not exit within 30 s (something left open?)' : `exited ${r.code ?? r.signal}`
      return `${doc}:${b.line} (${rel(b.file)}) ${why}: ${r.stderr.trim().split('\n').slice(0, 6).join(' | ')}`
    })
    expect(failures.filter((f) => f !== null), doc).toEqual([])
  })
})
