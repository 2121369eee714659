// Terminal output: number formats and aligned tables.
import type { BenchReport, ClientResult, WorkloadResult } from './report.js'

const color = process.stdout.isTTY === true && !process.env.NO_COLOR
const paint = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s)
export const bold = paint('1')
export const dim = paint('2')
export const red = paint('31')
export const green = paint('32')
export const yellow = paint('33')

/** 12345.6 → "12,346" */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—'
}

/** 12345 → "12.3k", 950 → "950" */
export function fmtShort(n: number): string {
  if (!Number.isFinite(n)) return '—'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}k`
  return n.toFixed(0)
}

export function fmtRatio(n: number | undefined): string {
  return n !== undefined && Number.isFinite(n) ? `${n.toFixed(2)}×` : '—'
}

export function fmtFixed(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '—'
}

/** 65536 → "64 KiB" */
export function fmtBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} B`
}

// Visible width, ignoring colour escapes.
// eslint-disable-next-line no-control-regex
const visible = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length

/** Renders rows as aligned columns; `align[i]` is 'l' or 'r'. Returns lines (no trailing newline). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], align: string, indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))))
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - visible(c)))
        return align[i] === 'r' ? pad + c : c + pad
      })
      .join('  ')
      .trimEnd()
  return [line(header.map((h) => dim(h))), indent + dim(widths.map((w) => '─'.repeat(w)).join('  ')), ...rows.map(line)]
}

/** CPU µs per request: one decimal under 100 µs, none above. */
export function fmtCpuUs(n: number): string {
  return Number.isFinite(n) ? n.toFixed(n < 100 ? 1 : 0) : '—'
}

function refCells(c: ClientResult, reference: string): string[] {
  if (c.status !== 'ok') return ['', '']
  if (c.name === reference) return ['reference', 'reference']
  return [fmtRatio(c.refRatio?.median), fmtRatio(c.refCpuRatio?.median)]
}

function clientRow(c: ClientResult, baseline: string): string[] {
  const name = c.name === 'sonic' ? bold(c.label) : c.label
  if (c.status !== 'ok') return [name, dim('—'), dim('—'), c.status === 'skipped' ? yellow('skipped') : red('failed'), '', '', '', '', '']
  const ratio = c.name === baseline ? 'baseline' : fmtRatio(c.ratio?.median)
  const range = c.ratio && c.name !== baseline ? dim(`${fmtFixed(c.ratio.min, 2)}–${fmtFixed(c.ratio.max, 2)}`) : ''
  const cpuRatio = c.name === baseline ? 'baseline' : fmtRatio(c.cpuRatio?.median)
  return [
    name,
    fmtInt(c.rps.median) + (c.nearCeiling ? yellow(' ⚠') : ''),
    fmtFixed(c.mbps.median, c.mbps.median < 10 ? 2 : 1),
    c.ratio && c.ratio.median >= 1 && c.name !== baseline ? green(ratio) : ratio,
    range,
    fmtCpuUs(c.cpuUsPerReq.median),
    c.cpuRatio && c.cpuRatio.median <= 1 && c.name !== baseline ? green(cpuRatio) : cpuRatio,
    fmtFixed(c.peakRssMB, 0),
    fmtFixed(c.peakHeapMB, 0),
  ]
}

/** The per-workload table, fastest first; failed and skipped clients last. */
export function workloadTable(w: WorkloadResult, baseline: string): string[] {
  const ok = w.clients.filter((c) => c.status === 'ok').sort((a, b) => b.rps.median - a.rps.median)
  const rest = w.clients.filter((c) => c.status !== 'ok')
  const ref = w.reference
  const lines = renderTable(
    ['client', 'req/s', 'MB/s', `vs ${baseline}`, 'round range', 'CPU µs/req', 'CPU vs base', 'RSS MB', 'heap MB', ...(ref !== undefined ? [`vs ${ref}`, `CPU vs ${ref}`] : [])],
    [...ok, ...rest].map((c) => [...clientRow(c, baseline), ...(ref !== undefined ? refCells(c, ref) : [])]),
    'lrrrlrrrr' + (ref !== undefined ? 'rr' : ''),
  )
  for (const c of rest) lines.push(dim(`  ${c.name}: ${c.status}: ${c.note ?? ''}`))
  if (w.serverNote !== undefined) lines.push(dim(`  server: ${w.server} (${w.serverNote})`))
  return lines
}

/** One line per client whose median req/s is within 10 % of the server ceiling. */
export function ceilingWarnings(w: WorkloadResult): string[] {
  const raw = w.ceiling?.rawRps
  if (raw === undefined) return []
  return w.clients
    .filter((c) => c.status === 'ok' && c.nearCeiling)
    .map(
      (c) =>
        `  ⚠ ${c.label}: ${fmtInt(c.rps.median)} req/s is ${Math.round((100 * c.rps.median) / raw)} % of the server ceiling (${fmtInt(raw)} req/s), within 10 % of it or above: the server, not the client, is measured here`,
    )
}

/** The closing matrix: one row per client, one column per workload, median ratios. */
export function summaryTable(report: BenchReport): string[] {
  const workloads = report.workloads.filter((w) => w.skipped === undefined)
  const names: { name: string; label: string }[] = []
  for (const w of workloads) for (const c of w.clients) if (!names.some((n) => n.name === c.name)) names.push(c)
  const rows = names.map(({ name, label }) => [
    name === 'sonic' ? bold(label) : label,
    ...workloads.map((w) => {
      const c = w.clients.find((x) => x.name === name)
      if (!c) return ''
      if (c.status !== 'ok') return c.status === 'skipped' ? dim('skipped') : red('failed')
      return fmtRatio(c.ratio?.median)
    }),
  ])
  return renderTable(['client', ...workloads.map((w) => w.name)], rows, 'l' + 'r'.repeat(workloads.length))
}
