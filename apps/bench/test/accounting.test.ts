// CPU accounting, pinning, version choice and the ceiling check: the parts of the honest bench
// that are not a server or a worker.
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { NEAR_CEILING, isNearCeiling, versionLine } from '../src/bench.js'
import { ceilingWarnings, fmtCpuUs } from '../src/format.js'
import { gotAlias, nodeMajorMinor, packageVersion, peerVersions, undiciAlias } from '../src/libs.js'
import type { Peer } from '../src/peers/peer.js'
import { affinity, describePinning, parseCpuList, pin, planPinning } from '../src/pinning.js'
import type { ClientResult, WorkloadResult } from '../src/report.js'
import { cpuPerRequest, timedRun } from '../src/runner.js'
import { summarize } from '../src/stats.js'
import { findOnPath } from '../src/tinyproxy.js'
import { WORKLOADS, prepareWorkload } from '../src/workloads.js'

const w = prepareWorkload({ ...WORKLOADS[0]!, concurrency: 1 }, 'http://127.0.0.1:1')

/** Spins until this process has used `us` more µs of CPU (user + system): CPU, not wall time. */
function burn(us: number): void {
  const start = process.cpuUsage()
  for (;;) {
    const d = process.cpuUsage(start)
    if (d.user + d.system >= us) return
  }
}

const fakePeer = (answer: () => Promise<unknown>): Peer => ({ setup: async () => {}, request: answer, teardown: async () => {} })

describe('CPU accounting in timedRun', () => {
  it('divides the process CPU of the run by the completed requests', () => {
    expect(cpuPerRequest({ user: 3000, system: 1000 }, 8)).toBe(500)
    expect(cpuPerRequest({ user: 3000, system: 1000 }, 0)).toBeNaN()
  })

  it('counts CPU a request burns', async () => {
    const run = await timedRun(fakePeer(async () => (burn(2000), w.downloadBytes)), w, 40)
    expect(run.requests).toBeGreaterThan(0)
    expect(run.cpuUsPerReq).toBeGreaterThanOrEqual(2000)
    expect(run.cpuUsPerReq).toBeCloseTo((run.cpuUserUs + run.cpuSystemUs) / run.requests, 6)
  })

  it('does not count time a request only waits (it is CPU, not wall time)', async () => {
    const sleepy = fakePeer(() => new Promise((r) => setTimeout(() => r(w.downloadBytes), 8)))
    const run = await timedRun(sleepy, w, 240)
    expect(run.requests).toBeGreaterThan(0)
    // Each request takes >= 8 ms of wall time but far less CPU: counted as wall time it would be
    // ≥ 7000 µs; the bound leaves room for whatever else this process does meanwhile (GC, the runner).
    const wallUsPerReq = (run.elapsedMs * 1000) / run.requests
    expect(wallUsPerReq).toBeGreaterThanOrEqual(7000)
    expect(run.cpuUsPerReq).toBeLessThan(wallUsPerReq / 2)
  })

  it('leaves setup out: CPU spent before the run is not counted', async () => {
    const peer = fakePeer(async () => w.downloadBytes)
    peer.setup = async () => burn(100_000)
    await peer.setup({ origin: w.origin, connections: 1 })
    const run = await timedRun(peer, w, 20)
    expect(run.requests).toBeGreaterThan(0)
    // A 20 ms run of a trivial peer cannot use 60 ms of CPU; with the 100 ms setup counted it would.
    expect(run.cpuUserUs + run.cpuSystemUs).toBeLessThan(60_000)
  })
})

describe('pinning', () => {
  it('parses taskset CPU lists', () => {
    expect(parseCpuList('0')).toEqual([0])
    expect(parseCpuList('0-3,6,8-9')).toEqual([0, 1, 2, 3, 6, 8, 9])
    expect(() => parseCpuList('a-b')).toThrow(/not a CPU list/)
  })

  it('plans server on the first CPU and clients on the rest, and no pinning below two CPUs', () => {
    expect(planPinning('/usr/bin/taskset', [0, 1])).toEqual({ pinned: true, taskset: '/usr/bin/taskset', serverCpu: 0, clientCpus: [1], previous: [0, 1] })
    expect(planPinning('/usr/bin/taskset', [2, 3, 4])).toMatchObject({ serverCpu: 2, clientCpus: [3, 4] })
    expect(planPinning('/usr/bin/taskset', [0])).toEqual({ pinned: false, why: '1 CPU available' })
    expect(planPinning(undefined, [0, 1])).toEqual({ pinned: false, why: 'taskset is not on PATH' })
    expect(describePinning(planPinning('/t', [0, 1]))).toBe('pinned with taskset: server on CPU 0, clients on CPU 1')
    expect(describePinning({ pinned: false, why: '--no-pin' })).toBe('not pinned (--no-pin)')
  })

  const taskset = findOnPath('taskset')
  it.skipIf(taskset === undefined)('pins a real process and reads its affinity back', async () => {
    const cpus = affinity(taskset!)
    expect(cpus.length).toBeGreaterThan(0)
    const child = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      await new Promise((r) => child.once('spawn', r))
      pin(taskset!, child.pid!, [cpus[cpus.length - 1]!])
      expect(affinity(taskset!, child.pid!)).toEqual([cpus[cpus.length - 1]])
    } finally {
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
    }
  })
})

describe('peer library versions', () => {
  it('runs undici 8 from Node 22.19 and got 16 from Node 22, the 7.x / 14 aliases below', () => {
    expect(nodeMajorMinor('v22.19.3')).toEqual([22, 19])
    expect(undiciAlias('20.20.2')).toBe('undici7')
    expect(undiciAlias('22.18.9')).toBe('undici7')
    expect(undiciAlias('22.19.0')).toBe('undici8')
    expect(undiciAlias('24.0.0')).toBe('undici8')
    expect(gotAlias('20.20.2')).toBe('got14')
    expect(gotAlias('22.0.0')).toBe('got16')
  })

  it('reads the pinned versions of the installed aliases', () => {
    expect(packageVersion('undici7')).toMatch(/^7\./)
    expect(packageVersion('undici8')).toMatch(/^8\./)
    expect(packageVersion('got14')).toMatch(/^14\./)
    expect(packageVersion('got16')).toMatch(/^16\./)
    expect(packageVersion('no-such-package')).toBeUndefined()
    const v = peerVersions()
    expect(v.node).toBe(process.versions.node)
    expect(v.undici).toBe(packageVersion(undiciAlias()))
    expect(versionLine({ node: '24.1.0', undici: '8.14.0' })).toBe('Node 24.1.0 · undici 8.14.0')
  })
})

describe('the server-ceiling check', () => {
  const none = summarize([])
  const client = (name: string, rps: number, near: boolean): ClientResult => ({
    name,
    label: name,
    status: 'ok',
    roundsRps: [rps],
    rps: summarize([rps]),
    mbps: none,
    ratios: [],
    ratio: null,
    peakRssMB: 1,
    peakHeapMB: 1,
    roundsCpuUs: [],
    cpuUsPerReq: none,
    cpuRatios: [],
    cpuRatio: null,
    nearCeiling: near,
  })

  it('flags a client at 90 % of the raw ceiling or above', () => {
    expect(NEAR_CEILING).toBe(0.9)
    expect(isNearCeiling(8999, 10_000)).toBe(false)
    expect(isNearCeiling(9000, 10_000)).toBe(true)
    expect(isNearCeiling(12_000, 10_000)).toBe(true)
    expect(isNearCeiling(9500, undefined)).toBe(false)
    expect(isNearCeiling(NaN, 10_000)).toBe(false)
  })

  it('prints one line per flagged client', () => {
    const wr = { ceiling: { rawRps: 10_000 }, clients: [client('a', 9500, true), client('b', 5000, false)] } as unknown as WorkloadResult
    const lines = ceilingWarnings(wr)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('a: 9,500 req/s is 95 % of the server ceiling (10,000 req/s)')
    expect(fmtCpuUs(12.345)).toBe('12.3')
    expect(fmtCpuUs(1234.5)).toBe('1235')
  })
})
