// The code blocks of a markdown file: fenced ```ts / ```typescript / ```js / ```javascript blocks,
// with the words after the language (`no-run`) and the line the code starts on.
export type BlockLanguage = 'ts' | 'js'

export interface CodeBlock {
  lang: BlockLanguage
  /** Words after the language on the opening fence, e.g. ['no-run']. */
  flags: string[]
  /** 1-based line in the markdown file of the block's first code line. */
  line: number
  code: string
}

const LANGS: Record<string, BlockLanguage> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' }
/**
 * The markers a block's opening fence may carry: ```ts no-run (type-checked, never run) and
 * ```ts declare (an API listing: checked as a declaration file, so bodiless methods and
 * uninitialised fields are fine, but every name must resolve; never run).
 */
export const FLAGS = ['no-run', 'declare'] as const

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const out: CodeBlock[] = []
  let i = 0
  while (i < lines.length) {
    const open = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([A-Za-z]*)([^`]*)$/.exec(lines[i] ?? '')
    if (open === null) {
      i++
      continue
    }
    const [, indent = '', fence = '```', lang = '', rest = ''] = open
    const body: string[] = []
    const start = i + 1
    i++
    while (i < lines.length && !new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(lines[i] ?? '')) {
      const l = lines[i] ?? ''
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart())
      i++
    }
    i++ // the closing fence
    const kind = LANGS[lang.toLowerCase()]
    if (kind === undefined) continue
    out.push({ lang: kind, flags: rest.trim().split(/\s+/).filter(Boolean), line: start + 1, code: body.join('\n') })
  }
  return out
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

/**
 * Hosts a runnable block names other than the loopback (where the test's server is): in URLs, and
 * as string values of `hostname`, `host` and `servername` properties.
 */
export function foreignHosts(code: string): string[] {
  const hosts = new Set<string>()
  const patterns = [
    /\b(?:https?|wss?):\/\/(?:[^@/\s'"`]*@)?(\[[^\]]+\]|[^/\s'"`:?#]+)/g,
    /\b(?:hostname|host|servername)\s*:\s*['"`]([^'"`]+)['"`]/g,
  ]
  for (const pattern of patterns) {
    for (const m of code.matchAll(pattern)) {
      const host = (m[1] ?? '').toLowerCase()
      if (LOOPBACK.has(host) || host.includes('${')) continue
      hosts.add(host)
    }
  }
  return [...hosts]
}
