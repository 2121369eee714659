// The docs check itself: a broken block is reported at its markdown line, JavaScript blocks are
// held to names and members (not narrowing), declaration blocks must resolve their names, and a
// runnable block gets the test server's origin.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runnableFile, typeCheck, type WrittenBlock } from '../src/docs-check.js'
import { scratch } from '../src/workspace.js'

const dir = join(scratch, 'unit')
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
function block(lang: 'ts' | 'js', code: string, flags: string[] = []): WrittenBlock {
  const ext = lang === 'js' ? 'mjs' : flags.includes('declare') ? 'd.mts' : 'mts'
  const file = join(dir, `b${++n}.${ext}`)
  writeFileSync(file, `${code}\nexport {}\n`)
  return { lang, flags, line: 10, code, doc: 'docs/x.md', file, runnable: flags.length === 0 }
}

describe('typeCheck', () => {
  it('reports a TypeScript error at the line of the markdown file', () => {
    const bad = block('ts', `import { HTTPClient } from '@sonic/client'\nnew HTTPClient({ maxRedirects: 'five' })`)
    const good = block('ts', `import { HttpHeaders } from '@sonic/core'\nconst h: HttpHeaders = new HttpHeaders({ a: '1' })\nconsole.log(h.get('a'))`)
    const result = typeCheck([bad, good])
    expect(result.get(bad)?.map((d) => d.where)).toEqual(['docs/x.md:11'])
    expect(result.get(bad)?.[0]?.message).toMatch(/^TS2322/)
    expect(result.get(good)).toEqual([])
  })

  it('holds JavaScript to names, exports and members, not to narrowing', () => {
    const missing = block('js', `import { NoSuchThing } from '@sonic/core'\nconsole.log(NoSuchThing)`)
    const member = block('js', `import { HttpHeaders } from '@sonic/core'\nnew HttpHeaders().gett('a')`)
    const loose = block('js', `import { Timeouts } from '@sonic/core'\nconst init = JSON.parse('{}')\nlet t = new Timeouts(init)\nt = 5\nconsole.log(t)`)
    const result = typeCheck([missing, member, loose])
    expect(result.get(missing)?.map((d) => d.message.slice(0, 6))).toEqual(['TS2305'])
    expect(result.get(member)?.map((d) => d.message.slice(0, 6))).toEqual(['TS2551'])
    expect(result.get(loose)).toEqual([])
  })

  it('checks declaration blocks as declaration files: bodies not needed, names must resolve', () => {
    const ok = block('ts', `import type { PoolConfig } from '@sonic/core'\nexport class Pool {\n  constructor(config: PoolConfig)\n  close(): Promise<void>\n}`, ['declare'])
    const unresolved = block('ts', `export interface X {\n  socket: Duplex\n}`, ['declare'])
    const result = typeCheck([ok, unresolved])
    expect(result.get(ok)).toEqual([])
    expect(result.get(unresolved)?.map((d) => `${d.where} ${d.message.slice(0, 6)}`)).toEqual(['docs/x.md:11 TS2304'])
  })
})

describe('runnableFile', () => {
  it("puts the server's origin in place of http://127.0.0.1:8080 and erases the types", () => {
    const b = block('ts', `const url: string = 'http://127.0.0.1:8080/a'\nconsole.log(url, 'http://localhost:8080/b')`)
    const js = readFileSync(runnableFile(b, 'http://127.0.0.1:4321'), 'utf8')
    expect(js).toContain(`const url = 'http://127.0.0.1:4321/a'`)
    expect(js).toContain(`'http://127.0.0.1:4321/b'`)
  })
})
