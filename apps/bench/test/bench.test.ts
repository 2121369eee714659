// The whole run, small: real server, real peers, plus peers that misbehave on purpose.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseArgs } from '../src/args.js'
import { runBench, type Out } from '../src/bench.js'
import { createBenchServer, type BenchServer } from '../src/bench-server.js'
import { BASELINE } from '../src/peers/index.js'
import { nodeHttp } from '../src/peers/node-http.js'
import { PeerUnavailableError, type PeerDefinition } from '../src/peers/peer.js'
import { sonic } from '../src/peers/sonic.js'
import { undiciProxy } from '../src/peers/undici-proxy.js'
import { undiciRequest } from '../src/peers/undici-request.js'
import { findOnPath } from '../src/tinyproxy.js'
import { writeResults } from '../src/report.js'
import { renderChart } from '../src/svg-chart.js'
import { WORKLOADS } from '../src/workloads.js'

let server: BenchServer
let origin: string
beforeAll(async () => {
  server = createBenchServer()
  origin = `http://127.0.0.1:${(await server.listen()).port}`
})
afterAll(() => server.close())

function quiet(): Out & { text: () => string } {
  let buf = ''
  return { line: (t = '') => void (buf += `${t}\n`), write: (t) => void (buf += t), text: () => buf }
}

const known = { peers: ['undici-request', 'node-http'], workloads: WORKLOADS.map((w) => w.name) }
const tiny = (extra: string[] = []) => parseArgs(['--rounds', '2', '--duration', '40', '--warmup', '20', '--ceiling', '30', '--no-pin', ...extra], known)
const pick = (...names: string[]) => WORKLOADS.filter((w) => names.includes(w.name))

const notBuilt: PeerDefinition = {
  name: 'unbuilt',
  label: 'unbuilt client',
  description: 'always unavailable',
  create: () => ({
    setup: () => Promise.reject(new PeerUnavailableError('unbuilt-client not built')),
    request: () => Promise.reject(new Error('unreachable')),
    teardown: () => Promise.resolve(),
  }),
}

const liar: PeerDefinition = {
  name: 'liar',
  label: 'short reader',
  description: 'reads one byte too few',
  create: () => {
    const inner = undiciRequest.create()
    return { ...inner, setup: (c) => inner.setup(c), teardown: () => inner.teardown(), request: async (w) => ((await inner.request(w)) as number) - 1 }
  },
}

describe('runBench', () => {
  it('measures the ceiling, runs interleaved rounds and reports medians and per-round ratios', async () => {
    const out = quiet()
    const report = await runBench({ options: tiny(), peers: [undiciRequest, nodeHttp], workloads: pick('small-1', 'json-1k'), baseline: BASELINE, origin }, out)

    expect(report.workloads.map((w) => w.name)).toEqual(['small-1', 'json-1k'])
    for (const w of report.workloads) {
      expect(w.ceiling?.rawRps).toBeGreaterThan(0)
      expect(w.clients.map((c) => [c.name, c.status])).toEqual([['undici-request', 'ok'], ['node-http', 'ok']])
      const [base, other] = w.clients
      expect(base!.ratios).toEqual([1, 1])
      expect(base!.roundsRps).toHaveLength(2)
      expect(other!.ratios[0]).toBeCloseTo(other!.roundsRps[0]! / base!.roundsRps[0]!, 9)
      expect(other!.ratio!.median).toBeCloseTo((other!.ratios[0]! + other!.ratios[1]!) / 2, 9)
      expect(other!.rps.median).toBeGreaterThan(0)
      expect(other!.peakRssMB).toBeGreaterThan(other!.peakHeapMB)
    }
    const text = out.text()
    expect(text).toContain('Server ceiling')
    expect(text).toMatch(/round 2\/2 +(undici-request|node-http) /)
    expect(text).toContain('Summary: median req/s ratio to undici-request')
    expect(report.server.kind).toBe('bench-server')
  })

  it('skips an unavailable client with one clear line and fails a client whose answers are wrong', async () => {
    const out = quiet()
    const report = await runBench({ options: tiny(['--rounds', '1']), peers: [notBuilt, undiciRequest, liar], workloads: pick('small-1', 'small-50'), baseline: BASELINE, origin, inline: true }, out)
    for (const w of report.workloads) {
      const by = Object.fromEntries(w.clients.map((c) => [c.name, c]))
      expect(by.unbuilt).toMatchObject({ status: 'skipped', note: 'unbuilt-client not built' })
      expect(by.liar).toMatchObject({ status: 'failed', note: 'expected 13 body bytes, got 12' })
      expect(by['undici-request']!.status).toBe('ok')
    }
    expect(out.text().match(/unbuilt: unbuilt-client not built — skipped/g)).toHaveLength(1)
    expect(report.notes).toContain('unbuilt: unbuilt-client not built — skipped')
  })

  it('with --target skips the routes a static server cannot answer', async () => {
    const out = quiet()
    const report = await runBench({ options: tiny(['--rounds', '1', '--target', origin]), peers: [undiciRequest], workloads: pick('small-1', 'upload-64k'), baseline: BASELINE }, out)
    expect(report.server).toEqual({ kind: 'target', origin })
    const [small, upload] = report.workloads
    expect(small!.skipped).toBeUndefined()
    expect(upload!.skipped).toMatch(/\/echo needs the bench server/)
    expect(upload!.clients).toEqual([])
  })
})

describe('runBench with a proxy workload', () => {
  const proxyPeers = [sonic, undiciRequest, undiciProxy]

  it('skips it, with a note, when tinyproxy is not found', async () => {
    const out = quiet()
    const report = await runBench({ options: tiny(['--rounds', '1']), peers: proxyPeers, workloads: pick('small-1', 'proxy-small'), baseline: BASELINE, origin, findTinyproxy: () => undefined }, out)
    const [small, proxied] = report.workloads
    expect(small!.skipped).toBeUndefined()
    expect(small!.clients.map((c) => c.name)).toEqual(['sonic', 'undici-request'])
    expect(proxied).toMatchObject({ name: 'proxy-small', baseline: 'undici-proxy', viaProxy: true, clients: [], skipped: expect.stringMatching(/tinyproxy is not on PATH/) })
    expect(report.notes).toContain('proxy-small: skipped — tinyproxy is not on PATH (the bench does not install it)')
    expect(out.text()).toMatch(/proxy-small +skipped: tinyproxy is not on PATH/)
  })

  it.skipIf(findOnPath('tinyproxy') === undefined)('runs sonic and undici ProxyAgent through a tinyproxy it starts and stops, ratios to ProxyAgent', async () => {
    const out = quiet()
    const report = await runBench({ options: tiny(), peers: proxyPeers, workloads: pick('proxy-small'), baseline: BASELINE, origin }, out)
    const [w] = report.workloads
    expect(w!.skipped).toBeUndefined()
    const by = Object.fromEntries(w!.clients.map((c) => [c.name, c]))
    expect(by['undici-proxy']).toMatchObject({ status: 'ok', ratios: [1, 1] })
    expect(by.sonic!.status).toBe('ok')
    expect(by.sonic!.ratios[0]).toBeCloseTo(by.sonic!.roundsRps[0]! / by['undici-proxy']!.roundsRps[0]!, 9)
    expect(by['undici-request']).toMatchObject({ status: 'skipped', note: 'not set up to go through a proxy in this bench' })
    const pid = Number(/proxy: tinyproxy, pid (\d+)/.exec(out.text())?.[1])
    expect(pid).toBeGreaterThan(0)
    expect(() => process.kill(pid, 0)).toThrow()
    expect(out.text()).toContain('vs undici-proxy')
  })
})

describe('writeResults', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sonic-bench-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('writes a timestamped JSON, latest.json and latest.svg; NaN becomes null', async () => {
    const report = await runBench({ options: tiny(['--rounds', '1']), peers: [notBuilt, undiciRequest], workloads: pick('small-1'), baseline: BASELINE, origin, inline: true }, quiet())
    const files = await writeResults(dir, report, renderChart(report))
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([expect.stringMatching(/^bench-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/), 'latest.json', 'latest.svg'])
    const latest = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'))
    expect(latest.tool).toBe('@sonic/bench-app')
    expect(latest.workloads[0].clients[0]).toMatchObject({ name: 'unbuilt', status: 'skipped', rps: { median: null, n: 0 } })
    expect(await readFile(files[0]!, 'utf8')).toBe(await readFile(join(dir, 'latest.json'), 'utf8'))
    expect(await readFile(join(dir, 'latest.svg'), 'utf8')).toContain('<rect class="bar" data-client="undici-request"')
  })
})
