// Every peer against the real bench server, on every workload: the answers the runner checks
// must come out right, and a wrong status must fail the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBenchServer, type BenchServer } from '../src/bench-server.js'
import { PEERS } from '../src/peers/index.js'
import { peerRuns, type Peer } from '../src/peers/peer.js'
import { findOnPath, startTinyproxy, type ProxyProcess } from '../src/tinyproxy.js'
import { WORKLOADS, checkAnswer, prepareWorkload } from '../src/workloads.js'

let server: BenchServer
let origin: string
beforeAll(async () => {
  server = createBenchServer()
  origin = `http://127.0.0.1:${(await server.listen()).port}`
})
afterAll(() => server.close())

const tinyproxy = findOnPath('tinyproxy')
const direct = WORKLOADS.filter((w) => !w.viaProxy)
const proxied = WORKLOADS.filter((w) => w.viaProxy)

describe.each(PEERS.filter((p) => peerRuns(p, false)).map((p) => [p.name, p] as const))('peer %s', (_, def) => {
  it('reads every direct workload answer whole and right, with 2 requests in flight', async () => {
    const peer: Peer = def.create()
    await peer.setup({ origin, connections: 2 })
    try {
      for (const w of direct) {
        const pw = prepareWorkload(w, origin)
        for (let i = 0; i < 2; i++) {
          const answers = await Promise.all([peer.request(pw), peer.request(pw)])
          for (const a of answers) expect(checkAnswer(w, a), `${def.name} ${w.name}`).toBeUndefined()
        }
      }
    } finally {
      await peer.teardown()
    }
  })

  it('fails a request that is not answered 200', async () => {
    const peer = def.create()
    await peer.setup({ origin, connections: 1 })
    try {
      const missing = prepareWorkload({ ...WORKLOADS[0]!, path: '/missing' }, origin)
      await expect(peer.request(missing)).rejects.toThrow(/404|status code/)
    } finally {
      await peer.teardown()
    }
  })
})

describe.skipIf(tinyproxy === undefined).each(PEERS.filter((p) => peerRuns(p, true)).map((p) => [p.name, p] as const))('peer %s through tinyproxy', (_, def) => {
  let proxy: ProxyProcess
  beforeAll(async () => {
    proxy = await startTinyproxy(tinyproxy!)
  })
  afterAll(() => proxy.stop())

  it('reads every proxy workload answer whole and right, with 2 requests in flight', async () => {
    const peer: Peer = def.create()
    await peer.setup({ origin, connections: 2, proxy: proxy.url })
    try {
      for (const w of proxied) {
        const pw = prepareWorkload(w, origin)
        for (let i = 0; i < 3; i++) {
          const answers = await Promise.all([peer.request(pw), peer.request(pw)])
          for (const a of answers) expect(checkAnswer(w, a), `${def.name} ${w.name}`).toBeUndefined()
        }
      }
    } finally {
      await peer.teardown()
    }
  })

  it('fails a request that is not answered 200', async () => {
    const peer = def.create()
    await peer.setup({ origin, connections: 1, proxy: proxy.url })
    try {
      await expect(peer.request(prepareWorkload({ ...proxied[0]!, path: '/missing' }, origin))).rejects.toThrow(/404|status code/)
    } finally {
      await peer.teardown()
    }
  })
})

describe('the peer list', () => {
  it('has unique names and the baseline', () => {
    const names = PEERS.map((p) => p.name)
    expect(new Set(names).size).toBe(names.length)
    expect(PEERS.filter((p) => peerRuns(p, true)).map((p) => p.name)).toEqual(['sonic', 'undici-proxy'])
    expect(names).toEqual(expect.arrayContaining(['sonic', 'sonic-http1', 'undici-request', 'undici-dispatch', 'undici-fetch', 'fetch', 'node-http', 'got', 'axios', 'node-fetch', 'undici-proxy']))
  })
})
