import { describe, expect, it } from 'vitest'
import type { BenchReport, ClientResult, WorkloadResult } from './report.js'
import { summarize } from './stats.js'
import { chartModel, esc, renderChart, renderSvg } from './svg-chart.js'

/** Checks that `xml` is well-formed enough for an SVG viewer: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(xml: string): void {
  const stack: string[] = []
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<\?xml[^>]*\?>/g
  let last = 0
  let root = 0
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const text = xml.slice(last, m.index)
    expect(text, `raw markup before ${m[0]}`).not.toMatch(/[<>]/)
    expect(text, 'unescaped &').not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/)
    last = tag.lastIndex
    if (m[2] === undefined) continue
    const [, closing, name, , selfClosing] = m
    if (closing) expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name)
    else if (!selfClosing) {
      if (stack.length === 0) root++
      stack.push(name!)
    }
  }
  expect(xml.slice(last).trim()).toBe('')
  expect(stack).toEqual([])
  expect(root).toBe(1)
}

function client(name: string, ratios: number[], status: ClientResult['status'] = 'ok'): ClientResult {
  const rps = ratios.map((r) => r * 1000)
  return {
    name,
    label: name === 'undici-request' ? 'undici Pool.request' : name,
    status,
    roundsRps: rps,
    rps: summarize(rps),
    mbps: summarize(rps.map((r) => r / 100)),
    ratios,
    ratio: status === 'ok' ? summarize(ratios) : null,
    peakRssMB: 80,
    peakHeapMB: 12,
    roundsCpuUs: ratios.map(() => 20),
    cpuUsPerReq: summarize(ratios.map(() => 20)),
    cpuRatios: ratios.map(() => 1),
    cpuRatio: status === 'ok' ? summarize(ratios.map(() => 1)) : null,
    nearCeiling: false,
    ...(status !== 'ok' && { note: 'not built' }),
  }
}

function workload(name: string, clients: ClientResult[], skipped?: string, baseline = 'undici-request'): WorkloadResult {
  return { name, label: `${name} <&> label`, baseline, server: 'embedded', viaProxy: false, method: 'GET', path: `/${name}`, concurrency: 50, uploadBytes: 0, downloadBytes: 13, clients, ...(skipped && { skipped }) }
}

function report(workloads: WorkloadResult[]): BenchReport {
  return {
    tool: '@sonic/bench-app',
    schema: 2,
    startedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '2025-01-02T03:05:05.000Z',
    environment: { node: '20.0.0', v8: '11', bundledUndici: '6.0.0', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'Test CPU', totalMemMB: 1024, exposeGc: true, loadAverageAtStart: 0.1, wrk: false, clients: { node: '20.0.0', undici: '7.30.2' }, isolation: 'process', pinning: { text: 'not pinned (--no-pin)' } },
    options: { quick: false, rounds: 3, durationMs: 500, warmupMs: 300, ceilingMs: 1000, only: [], workloads: [], target: undefined, outDir: undefined, help: false, server: 'embedded', node: undefined, inline: false, pin: true },
    baseline: 'undici-request',
    server: { kind: 'bench-server', origin: 'http://127.0.0.1:1' },
    notes: ['sonic: @sonic/client not built — skipped'],
    workloads,
  }
}

const sample = report([
  workload('small', [client('undici-request', [1, 1, 1]), client('sonic', [1.3, 1.2, 1.5]), client('got', [0.3, 0.35, 0.32])]),
  workload('big', [client('undici-request', [1, 1, 1]), client('got', [0.8, 0.9, 0.7]), client('sonic', [], 'skipped')]),
  workload('json', [], 'needs the bench server'),
])

describe('renderChart', () => {
  const svg = renderChart(sample)

  it('produces one well-formed SVG document', () => {
    expect(svg.startsWith('<?xml')).toBe(true)
    assertWellFormed(svg)
    expect(svg).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1200" height="\d+" viewBox="0 0 1200 \d+"/)
  })

  it('draws exactly one bar per measured client result, in its panel', () => {
    const bars = [...svg.matchAll(/<rect class="bar" data-client="([^"]+)"/g)].map((m) => m[1])
    expect(bars).toEqual(['undici-request', 'sonic', 'got', 'undici-request', 'got'])
    expect(svg.match(/<g class="panel">/g)).toHaveLength(3)
  })

  it('labels each bar with its median ratio and draws the 1.0 line per measured panel', () => {
    expect(svg).toContain('>1.30×</text>')
    expect(svg).toContain('>0.32×</text>')
    expect(svg).toContain('>0.80×</text>')
    expect(svg.match(/stroke-dasharray="5 4"/g)).toHaveLength(2)
  })

  it('scales bars to their value: a 1.3× bar is 1.3 times the baseline bar', () => {
    const width = (client: string, nth = 0) =>
      Number([...svg.matchAll(new RegExp(`data-client="${client}"[^>]*width="([\\d.]+)"`, 'g'))][nth]![1])
    expect(width('sonic') / width('undici-request')).toBeCloseTo(1.3, 1)
  })

  it('names the skipped client and the skipped workload, escaping text', () => {
    expect(svg).toContain('>skipped</text>')
    expect(svg).toContain('skipped: needs the bench server')
    expect(svg).toContain('small &lt;&amp;&gt; label')
    expect(svg).not.toContain('small <&> label')
    expect(svg).toContain('sonic: @sonic/client not built — skipped')
  })
})

describe('chartModel', () => {
  it('marks sonic for emphasis and carries the rounds min–max for the whiskers', () => {
    const model = chartModel(sample)
    const sonic = model.groups[0]!.bars.find((b) => b.client === 'sonic')!
    expect(sonic).toMatchObject({ emphasis: true, value: 1.3, min: 1.2, max: 1.5 })
    expect(model.groups[1]!.missing).toEqual([{ label: 'sonic', reason: 'skipped' }])
    expect(model.subtitle).toContain('undici Pool.request (= 1.0)')
  })

  it('renders an empty report without throwing', () => {
    assertWellFormed(renderSvg({ title: 't', subtitle: 's', baselineLabel: 'b', groups: [], footer: [] }))
  })
})

describe('the well-formedness check itself', () => {
  it('rejects broken documents', () => {
    expect(() => assertWellFormed('<svg><g></svg>')).toThrow()
    expect(() => assertWellFormed('<svg><text>a & b</text></svg>')).toThrow()
    expect(() => assertWellFormed('<svg><rect x=1/></svg>')).toThrow()
    expect(() => assertWellFormed('<svg></svg><svg></svg>')).toThrow()
  })
})

describe('esc', () => {
  it('escapes the XML specials', () => {
    expect(esc(`a<b>&"c"`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;')
  })
})
