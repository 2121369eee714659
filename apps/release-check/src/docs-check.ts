// Docs as code: every ts/js block of README.md, packages/*/README.md and docs/*.md written out as
// a module under .tmp/docs/ (where `@sonic/*` resolves to the built workspace packages through
// this app's devDependencies), type-checked in one program, and run when runnable.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { codeBlocks, type CodeBlock } from './markdown.js'
import { root, scratch } from './workspace.js'

export interface WrittenBlock extends CodeBlock {
  /** The markdown file, relative to the repository root. */
  doc: string
  /** The module written for type-checking. */
  file: string
  runnable: boolean
}

/** The markdown files whose code blocks are checked, relative to the root. */
export function docFiles(): string[] {
  const out = ['README.md']
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    if (existsSync(join(root, 'packages', name, 'README.md'))) out.push(`packages/${name}/README.md`)
  }
  for (const name of readdirSync(join(root, 'docs')).sort()) if (name.endsWith('.md')) out.push(`docs/${name}`)
  return out
}

export const docsDir = join(scratch, 'docs')

/** Writes every block of `docs` as its own module; returns them in order. */
export function writeBlocks(docs: readonly string[]): WrittenBlock[] {
  rmSync(docsDir, { recursive: true, force: true })
  mkdirSync(docsDir, { recursive: true })
  writeFileSync(join(docsDir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  // The files the docs' upload examples name, in the folder the blocks run in.
  mkdirSync(join(docsDir, 'path', 'to'), { recursive: true })
  writeFileSync(join(docsDir, 'path', 'to', 'file.txt'), 'hello from a doc example\n')
  writeFileSync(join(docsDir, 'image.png'), Buffer.from('89504e470d0a1a0a', 'hex'))
  const out: WrittenBlock[] = []
  for (const doc of docs) {
    const dir = join(docsDir, doc.replace(/\.md$/, '').replace(/[/.]/g, '_'))
    mkdirSync(dir, { recursive: true })
    for (const block of codeBlocks(readFileSync(join(root, doc), 'utf8'))) {
      const declare = block.flags.includes('declare')
      const file = join(dir, `L${block.line}.${block.lang === 'js' ? 'mjs' : declare ? 'd.mts' : 'mts'}`)
      // `export {}` keeps a block without imports a module (top-level await, its own scope).
      writeFileSync(file, `${block.code}\nexport {}\n`)
      out.push({ ...block, doc, file, runnable: !declare && !block.flags.includes('no-run') })
    }
  }
  return out
}

export interface BlockDiagnostic {
  /** `docs/x.md:12` — the markdown line the error is on. */
  where: string
  message: string
}

const base: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  typeRoots: [join(root, 'node_modules', '@types')],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
}

/**
 * What a JavaScript block is held to (besides syntax): names and modules that exist, members the
 * API has, the right number of arguments. Not type narrowing, which plain JavaScript never sees.
 */
const JS_ERRORS = new Set([
  2304, // Cannot find name
  2305, // Module has no exported member
  2307, // Cannot find module
  2339, // Property does not exist on type
  2551, // Property does not exist; did you mean
  2552, // Cannot find name; did you mean
  2554, // Expected N arguments
  2555, // Expected at least N arguments
  2724, // Module has no exported member; did you mean
])

/** Type-checks the blocks: TypeScript strictly, JavaScript with checkJs for the errors in JS_ERRORS. */
export function typeCheck(blocks: readonly WrittenBlock[]): Map<WrittenBlock, BlockDiagnostic[]> {
  const byFile = new Map(blocks.map((b) => [b.file, b]))
  const result = new Map<WrittenBlock, BlockDiagnostic[]>(blocks.map((b) => [b, []]))
  const declare = (b: WrittenBlock) => b.flags.includes('declare')
  // Declaration blocks are .d.mts files, which skipLibCheck would skip: their program checks
  // declaration files and keeps only the diagnostics in the blocks.
  const programs: [WrittenBlock[], ts.CompilerOptions][] = [
    [blocks.filter((b) => b.lang === 'ts' && !declare(b)), base],
    [blocks.filter((b) => b.lang === 'js'), { ...base, allowJs: true, checkJs: true, noImplicitAny: false }],
    [blocks.filter((b) => b.lang === 'ts' && declare(b)), { ...base, skipLibCheck: false }],
  ]
  for (const [group, options] of programs) {
    if (group.length === 0) continue
    const program = ts.createProgram(
      group.map((b) => b.file),
      options,
    )
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const block = d.file === undefined ? undefined : byFile.get(d.file.fileName)
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      if (block === undefined && options.skipLibCheck === false && d.file !== undefined) continue
      if (block === undefined || d.file === undefined || d.start === undefined) {
        // A diagnostic outside the blocks (a config problem): charge it to every block of the group.
        for (const b of group) result.get(b)?.push({ where: `${b.doc}:${b.line}`, message: `TS${d.code}: ${message}` })
        continue
      }
      if (block.lang === 'js' && !JS_ERRORS.has(d.code) && d.code >= 2000) continue
      const { line } = d.file.getLineAndCharacterOfPosition(d.start)
      result.get(block)?.push({ where: `${block.doc}:${block.line + line}`, message: `TS${d.code}: ${message}` })
    }
  }
  return result
}

/** The origin runnable blocks are written against; the test puts its server's origin in its place. */
export const DOC_ORIGINS = ['http://127.0.0.1:8080', 'http://localhost:8080']
/** A second host, for examples that need two (a balancer); the test puts a second server's origin in its place. */
export const DOC_SECOND_ORIGINS = ['http://127.0.0.1:8081', 'http://localhost:8081']

/**
 * The block as node runs it, against `origin` (and `second` for the second host): TypeScript
 * transpiled (types erased, `await using` lowered for Node 20 and 22), JavaScript as written; the
 * docs' origins replaced by the servers'.
 */
export function runnableFile(block: WrittenBlock, origin: string, second?: string): string {
  let code = readFileSync(block.file, 'utf8')
  for (const o of DOC_ORIGINS) code = code.split(o).join(origin)
  if (second !== undefined) for (const o of DOC_SECOND_ORIGINS) code = code.split(o).join(second)
  if (block.lang === 'ts') {
    code = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: block.file,
    }).outputText
  }
  const out = block.file.replace(/\.m[tj]s$/, '.run.mjs')
  writeFileSync(out, code)
  return out
}

export function rel(file: string): string {
  return relative(root, file)
}
