// The client worker protocol: a real forked dist/worker.js running real peers against a real
// bench server, and a fake worker that stops answering (it must be killed, not waited on).
import { ALL_HANDLES, createLeakCheck } from '@sonic/test-utils'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBenchServer, type BenchServer } from '../src/bench-server.js'
import { ProcessRunner, workerEntry } from '../src/client-runner.js'
import { packageVersion, undiciAlias } from '../src/libs.js'
import { PeerUnavailableError } from '../src/peers/peer.js'
import * as sonicClient from '@sonic/client'
import { sonicFetchExports } from '../src/peers/sonic-fetch.js'
import { isFromWorker } from '../src/worker-protocol.js'

let server: BenchServer
let origin: string
const dir = mkdtempSync(join(tmpdir(), 'sonic-bench-worker-'))
beforeAll(async () => {
  server = createBenchServer()
  origin = `http://127.0.0.1:${(await server.listen()).port}`
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

const leaks = createLeakCheck({ ours: (s) => s.includes('/apps/bench/src/'), handles: [...ALL_HANDLES, 'ProcessWrap'] })
const cleanups = leaks.useCleanups()

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('ProcessRunner with dist/worker.js', () => {
  it('sets a peer up in its own process, runs measured runs with CPU accounting, and ends the process on close', async () => {
    expect(workerEntry()).toMatch(/dist[/\\]worker\.js$/)
    const runner = new ProcessRunner('undici-request', 'small-1')
    cleanups.push(() => runner.close())
    await runner.setup({ origin, connections: 1 })
    const pid = runner.pid!
    expect(pid).toBeGreaterThan(0)
    expect(pid).not.toBe(process.pid)
    expect(runner.versions).toMatchObject({ node: process.versions.node, undici: packageVersion(undiciAlias())! })

    for (let i = 0; i < 2; i++) {
      const run = await runner.run(60)
      expect(run.requests).toBeGreaterThan(0)
      expect(run.rps).toBeCloseTo((run.requests * 1000) / run.elapsedMs, 6)
      expect(run.cpuUserUs + run.cpuSystemUs).toBeGreaterThan(0)
      expect(run.cpuUsPerReq).toBeCloseTo((run.cpuUserUs + run.cpuSystemUs) / run.requests, 6)
      // The worker's own RSS: a Node process, not the test runner's.
      expect(run.peakRssMB).toBeGreaterThan(run.peakHeapMB)
    }
    await runner.close()
    expect(alive(pid)).toBe(false)
  })

  it('reports a peer that cannot load as unavailable, and an unknown peer as an error; both workers exit', async () => {
    const unknown = new ProcessRunner('no-such-peer', 'small-1')
    cleanups.push(() => unknown.close())
    await expect(unknown.setup({ origin, connections: 1 })).rejects.toThrow('unknown peer "no-such-peer"')
    expect(unknown.pid === undefined || !alive(unknown.pid)).toBe(true)

    const fetchRunner = new ProcessRunner('sonic-fetch', 'small-1')
    cleanups.push(() => fetchRunner.close())
    if (sonicFetchExports(sonicClient as unknown as Record<string, unknown>).fetch === undefined) {
      const err = await fetchRunner.setup({ origin, connections: 1 }).then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(PeerUnavailableError)
      expect((err as Error).message).toMatch(/no fetch export/)
    } else {
      await fetchRunner.setup({ origin, connections: 1 })
      expect((await fetchRunner.run(40)).requests).toBeGreaterThan(0)
    }
  })

  it('passes a failed run back as an error (wrong answers are checked in the worker)', async () => {
    const runner = new ProcessRunner('node-http', 'small-1')
    cleanups.push(() => runner.close())
    const gone = createBenchServer()
    const { port } = await gone.listen()
    await runner.setup({ origin: `http://127.0.0.1:${port}`, connections: 1 })
    await gone.close()
    await expect(runner.run(40, 2000)).rejects.toThrow(/ECONNREFUSED|socket hang up|ECONNRESET/)
    await runner.close()
  })

  it('kills a worker that stops answering', async () => {
    const fake = join(dir, 'silent-worker.mjs')
    writeFileSync(
      fake,
      "process.on('message', (m) => { if (m.type === 'setup') process.send({ type: 'ready', pid: process.pid, versions: { node: process.versions.node } }) })\n",
    )
    const runner = new ProcessRunner('undici-request', 'small-1', { entry: fake, killAfterMs: 200 })
    cleanups.push(() => runner.close())
    await runner.setup({ origin, connections: 1 })
    const pid = runner.pid!
    await expect(runner.run(20, 100)).rejects.toThrow(/did not answer "run" within 320 ms: killed/)
    await runner.close()
    expect(alive(pid)).toBe(false)
  })
})

describe('isFromWorker', () => {
  it('knows the answers of the protocol and nothing else', () => {
    for (const type of ['ready', 'unavailable', 'error', 'result', 'closed']) expect(isFromWorker({ type })).toBe(true)
    for (const m of [null, undefined, 1, {}, { type: 'setup' }, { type: 'run' }]) expect(isFromWorker(m)).toBe(false)
  })
})
