import { describe, expect, it } from 'vitest'
import { WORKLOADS, selectWorkloads } from './workloads.js'

const names = (ws: readonly { name: string }[]) => ws.map((w) => w.name)

describe('selectWorkloads', () => {
  it('runs every workload in the full run, proxy-small included', () => {
    expect(names(selectWorkloads(WORKLOADS, { quick: false, workloads: [] }))).toEqual(names(WORKLOADS))
    expect(names(WORKLOADS)).toContain('proxy-small')
  })

  it('leaves proxy-small out of --quick (what CI runs)', () => {
    const quick = names(selectWorkloads(WORKLOADS, { quick: true, workloads: [] }))
    expect(quick).not.toContain('proxy-small')
    expect(quick).toEqual(['small-1', 'small-50', 'download-1m', 'upload-64k', 'chunked-1m', 'json-1k'])
  })

  it('runs a workload named in --workloads, with or without --quick', () => {
    expect(names(selectWorkloads(WORKLOADS, { quick: true, workloads: ['proxy-small'] }))).toEqual(['proxy-small'])
    expect(names(selectWorkloads(WORKLOADS, { quick: false, workloads: ['small-1', 'proxy-small'] }))).toEqual(['small-1', 'proxy-small'])
  })

  it('gives proxy-small its own baseline, undici ProxyAgent, and asks for connection: close', () => {
    const w = WORKLOADS.find((x) => x.name === 'proxy-small')!
    expect(w).toMatchObject({ viaProxy: true, quick: false, baseline: 'undici-proxy', path: '/small', concurrency: 10, headers: { connection: 'close' } })
    for (const other of WORKLOADS.filter((x) => x !== w && x.protocol === 'http1')) {
      expect(other).toMatchObject({ viaProxy: false, quick: true })
      expect(other.baseline).toBeUndefined()
    }
  })
})
