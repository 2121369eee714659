// The ratio chart (bench/results/latest.svg): one panel per workload, one bar per client, the bar
// the median of per-round ratios to the baseline, a whisker for the rounds' min–max, and a dashed
// line at 1.0 (the baseline). Plain SVG text, no dependencies.
import type { BenchReport } from './report.js'

/** One bar: a client's median ratio on one workload. */
export interface ChartBar {
  readonly client: string
  readonly label: string
  readonly value: number
  readonly min?: number
  readonly max?: number
  readonly emphasis?: boolean
}

/** One workload's panel. */
export interface ChartGroup {
  readonly title: string
  readonly subtitle?: string
  readonly bars: readonly ChartBar[]
  /** Rows without a bar: a client that failed or was skipped, with a short reason. */
  readonly missing?: readonly { readonly label: string; readonly reason: string }[]
  /** Set when the whole workload was skipped. */
  readonly skipped?: string
}

export interface ChartModel {
  readonly title: string
  readonly subtitle: string
  readonly baselineLabel: string
  readonly groups: readonly ChartGroup[]
  readonly footer: readonly string[]
}

const COLORS: Record<string, string> = {
  sonic: '#f76707',
  'undici-request': '#1864ab',
  'undici-dispatch': '#1c7ed6',
  'undici-fetch': '#4dabf7',
  'undici-proxy': '#0b7285',
  fetch: '#15aabf',
  'node-http': '#495057',
  got: '#7048e8',
  axios: '#5c940d',
  'node-fetch': '#ae3ec9',
}
const FALLBACK = ['#e64980', '#2b8a3e', '#f59f00', '#0b7285', '#862e9c']

/** Colour of a client's bars: fixed for the known peers, from a palette for others. */
export function colorOf(client: string, index = 0): string {
  return COLORS[client] ?? FALLBACK[index % FALLBACK.length]!
}

/** Escapes text for SVG content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Builds the chart's model from a bench report. */
export function chartModel(report: BenchReport): ChartModel {
  const env = report.environment
  const o = report.options
  const baseline = report.workloads.flatMap((w) => w.clients).find((c) => c.name === report.baseline)
  const groups: ChartGroup[] = report.workloads.map((w) => {
    const wBaseline = w.baseline
    const base = w.clients.find((c) => c.name === wBaseline && c.status === 'ok')
    const own = wBaseline !== report.baseline ? ` ${base?.label ?? wBaseline}` : ''
    const subtitle = `${w.method} ${w.path} · ${w.concurrency} in flight${base ? ` · baseline${own} ${Math.round(base.rps.median).toLocaleString('en-US')} req/s` : ''}`
    if (w.skipped !== undefined) return { title: w.label, subtitle, bars: [], skipped: w.skipped }
    const bars: ChartBar[] = []
    const missing: { label: string; reason: string }[] = []
    for (const c of w.clients) {
      if (c.status === 'ok' && c.ratio && Number.isFinite(c.ratio.median)) {
        bars.push({ client: c.name, label: c.label, value: c.ratio.median, min: c.ratio.min, max: c.ratio.max, emphasis: c.name === 'sonic' })
      } else {
        missing.push({ label: c.label, reason: c.status === 'ok' ? 'no baseline' : c.status })
      }
    }
    return { title: w.label, subtitle, bars, missing }
  })
  return {
    title: 'sonic vs Node.js HTTP clients',
    subtitle: `req/s relative to ${baseline?.label ?? report.baseline} (= 1.0) · higher is faster · Node ${env.clients.node ?? env.node}${env.clients.undici !== undefined ? ` · undici ${env.clients.undici}` : ''} · ${env.cpus} × ${env.cpuModel} · ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    baselineLabel: baseline?.label ?? report.baseline,
    groups,
    footer: [
      `Bar: median over ${o.rounds} interleaved rounds of (client req/s ÷ ${baseline?.label ?? report.baseline} req/s in the same round); whisker: min–max over rounds.`,
      `Each run ${o.durationMs} ms after a ${o.warmupMs} ms warm-up; keep-alive, connections = requests in flight; server: ${serverText(report)}; ${env.pinning.text}; load average ${env.loadAverageAtStart.toFixed(1)} at start.`,
      ...report.notes,
    ],
  }
}

function serverText(report: BenchReport): string {
  const s = report.server
  if (s.kind === 'target') return s.origin
  if (s.kind === 'nginx') return `nginx ${s.version ?? ''}, 1 worker (POST routes: the raw-net bench server)`
  return 'raw-net bench server in its own process'
}

const W = 1200
const MARGIN = 40
const GAP = 32
const HEADER = 108
const ROW = 26
const BAR = 15
const PANEL_TOP = 64
const PANEL_BOTTOM = 36
const LABEL_W = 150
const VALUE_W = 64

function niceMax(max: number): { max: number; step: number } {
  const m = Math.max(max, 1.2)
  const step = m <= 2 ? 0.25 : m <= 4 ? 0.5 : m <= 10 ? 1 : Math.ceil(m / 10)
  return { max: Math.ceil(m / step) * step, step }
}

function panelHeight(g: ChartGroup): number {
  const rows = g.skipped !== undefined ? 1 : Math.max(1, g.bars.length + (g.missing?.length ?? 0))
  return PANEL_TOP + rows * ROW + PANEL_BOTTOM
}

/** Renders the model as a standalone SVG document. */
export function renderSvg(model: ChartModel): string {
  const cols = model.groups.length > 1 ? 2 : 1
  const panelW = (W - 2 * MARGIN - (cols - 1) * GAP) / cols
  const out: string[] = []
  let y = HEADER
  const rowsOfPanels: ChartGroup[][] = []
  for (let i = 0; i < model.groups.length; i += cols) rowsOfPanels.push(model.groups.slice(i, i + cols))
  for (const row of rowsOfPanels) {
    row.forEach((g, i) => out.push(panel(g, MARGIN + i * (panelW + GAP), y, panelW, model.baselineLabel)))
    y += Math.max(...row.map(panelHeight)) + GAP
  }
  y += 4
  for (const line of model.footer) {
    out.push(`<text x="${MARGIN}" y="${y}" class="foot">${esc(line)}</text>`)
    y += 18
  }
  const height = Math.round(y + 16)
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif">`,
    `<style>`,
    `.title{font-size:26px;font-weight:700;fill:#212529}.sub{font-size:13px;fill:#6c757d}`,
    `.ptitle{font-size:15px;font-weight:700;fill:#212529}.psub{font-size:12px;fill:#868e96}`,
    `.lbl{font-size:13px;fill:#343a40}.lbl.em{font-weight:700;fill:#d9480f}`,
    `.val{font-size:12px;font-weight:600;fill:#343a40;paint-order:stroke;stroke:#f8f9fa;stroke-width:4px;stroke-linejoin:round}.val.em{fill:#d9480f}`,
    `.tick{font-size:11px;fill:#868e96}.tick.one{fill:#212529;font-weight:700}`,
    `.miss{font-size:12px;font-style:italic;fill:#adb5bd}.foot{font-size:12px;fill:#868e96}`,
    `</style>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="50" class="title">${esc(model.title)}</text>`,
    `<text x="${MARGIN}" y="76" class="sub">${esc(model.subtitle)}</text>`,
    ...out,
    `</svg>`,
    '',
  ].join('\n')
}

function panel(g: ChartGroup, x: number, y: number, w: number, baselineLabel: string): string {
  const h = panelHeight(g)
  // Each panel has its own scale, set by the bars (not by outlying whiskers, which are clipped),
  // so one noisy workload does not flatten the others.
  const values = g.bars.map((b) => b.value).filter((v) => Number.isFinite(v))
  const scale = niceMax(Math.max(1, ...values) * 1.15)
  const x0 = x + 16 + LABEL_W
  const barW = w - 16 - LABEL_W - VALUE_W
  const px = (v: number): number => x0 + (Math.min(Math.max(0, v), scale.max) / scale.max) * barW
  const top = y + PANEL_TOP
  const out: string[] = [
    `<g class="panel">`,
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="10" fill="#f8f9fa" stroke="#e9ecef"/>`,
    `<text x="${x + 16}" y="${y + 28}" class="ptitle">${esc(g.title)}</text>`,
  ]
  if (g.subtitle) out.push(`<text x="${x + 16}" y="${y + 47}" class="psub">${esc(g.subtitle)}</text>`)
  if (g.skipped !== undefined) {
    out.push(`<text x="${x + 16}" y="${top + 17}" class="miss">skipped: ${esc(g.skipped)}</text>`, `</g>`)
    return out.join('\n')
  }
  const rows = g.bars.length + (g.missing?.length ?? 0)
  const bottom = top + Math.max(1, rows) * ROW
  // grid and ticks
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    const gx = px(v).toFixed(1)
    const one = Math.abs(v - 1) < 1e-9
    if (!one) out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${bottom}" stroke="#e9ecef"/>`)
    out.push(`<text x="${gx}" y="${bottom + 16}" text-anchor="middle" class="tick${one ? ' one' : ''}">${+v.toFixed(2)}×</text>`)
  }
  g.bars.forEach((b, i) => {
    const cy = top + i * ROW + ROW / 2
    const em = b.emphasis ? ' em' : ''
    const end = px(b.value)
    out.push(
      `<text x="${x + 16}" y="${(cy + 4.5).toFixed(1)}" class="lbl${em}">${esc(b.label)}</text>`,
      `<rect class="bar" data-client="${esc(b.client)}" x="${x0}" y="${(cy - BAR / 2).toFixed(1)}" width="${Math.max(1, end - x0).toFixed(1)}" height="${BAR}" rx="3" fill="${colorOf(b.client, i)}"><title>${esc(`${b.label}: ${b.value.toFixed(3)}×`)}</title></rect>`,
    )
    if (b.min !== undefined && b.max !== undefined && b.max > b.min) {
      const a = px(b.min).toFixed(1)
      const z = px(b.max).toFixed(1)
      // A whisker beyond the scale ends in an arrowhead instead of a cap.
      const cap = b.max > scale.max ? `M${+z - 5} ${cy - 3.5}L${z} ${cy}L${+z - 5} ${cy + 3.5}` : `M${z} ${cy - 4}V${cy + 4}`
      out.push(
        `<path d="M${a} ${cy - 4}V${cy + 4}M${a} ${cy}H${z}${cap}" stroke="#212529" stroke-opacity="0.5" stroke-width="1.2" fill="none"><title>${esc(`rounds: ${b.min.toFixed(2)}–${b.max.toFixed(2)}×`)}</title></path>`,
      )
    }
    // The value sits right after its bar; a halo in the panel colour keeps it legible over a whisker.
    out.push(`<text x="${(end + 6).toFixed(1)}" y="${(cy + 4).toFixed(1)}" class="val${em}">${b.value.toFixed(2)}×</text>`)
  })
  ;(g.missing ?? []).forEach((m, j) => {
    const cy = top + (g.bars.length + j) * ROW + ROW / 2
    out.push(
      `<text x="${x + 16}" y="${(cy + 4.5).toFixed(1)}" class="lbl">${esc(m.label)}</text>`,
      `<text x="${x0}" y="${(cy + 4.5).toFixed(1)}" class="miss">${esc(m.reason)}</text>`,
    )
  })
  const one = px(1).toFixed(1)
  out.push(
    `<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${bottom + 3}" stroke="#212529" stroke-width="1.5" stroke-dasharray="5 4"><title>${esc(baselineLabel)} = 1.0</title></line>`,
    `</g>`,
  )
  return out.join('\n')
}

/** The chart of a report, as SVG text. */
export function renderChart(report: BenchReport): string {
  return renderSvg(chartModel(report))
}
