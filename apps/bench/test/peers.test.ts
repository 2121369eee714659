// Every peer against the real bench server, on every workload: the answers the runner checks
// must come out right, and a wrong status must fail the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBenchServer, type BenchServer } from '../src/bench-server.js'
import { PEERS } from '../src/peers/index.js'
import { PeerUnavailableError, peerRuns, peerSpeaks, type Peer } from '../src/peers/peer.js'
import * as sonicClient from '@sonic/client'
import { sonicFetchExports } from '../src/peers/sonic-fetch.js'
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
// HTTP/1.1 workloads and peers here; the h2 ones run in test/h2.test.ts against TLS h2 servers.
const direct = WORKLOADS.filter((w) => !w.viaProxy && w.protocol === 'http1')
const proxied = WORKLOADS.filter((w) => w.viaProxy)

describe.each(PEERS.filter((p) => peerRuns(p, false) && peerSpeaks(p, 'http1')).map((p) => [p.name, p] as const))('peer %s', (_, def) => {
  // sonic-fetch is the one peer that may be unavailable: @sonic/client without its fetch export.
  const setup = async (peer: Peer, connections: number): Promise<boolean> => {
    try {
      await peer.setup({ origin, connections })
      return true
    } catch (err) {
      if (!(err instanceof PeerUnavailableError)) throw err
      expect(def.name).toBe('sonic-fetch')
      expect(sonicFetchExports(sonicClient as unknown as Record<string, unknown>).fetch).toBeUndefined()
      expect(err.message).toMatch(/no fetch export/)
      return false
    }
  }

  it('reads every direct workload answer whole and right, with 2 requests in flight', async () => {
    const peer: Peer = def.create()
    if (!(await setup(peer, 2))) return
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
    if (!(await setup(peer, 1))) return
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
    expect(names).toEqual(expect.arrayContaining(['sonic', 'sonic-http1', 'sonic-fetch', 'undici-request', 'undici-dispatch', 'undici-fetch', 'fetch', 'node-http', 'got', 'axios', 'node-fetch', 'undici-proxy']))
  })
})

describe('sonicFetchExports', () => {
  it('finds fetch and createFetch only when they are functions', () => {
    const f = async () => new Response('')
    expect(sonicFetchExports({})).toEqual({})
    expect(sonicFetchExports({ fetch: 1, createFetch: 'x' })).toEqual({})
    expect(sonicFetchExports({ fetch: f })).toEqual({ fetch: f })
    expect(Object.keys(sonicFetchExports({ fetch: f, createFetch: () => f }))).toEqual(['fetch', 'createFetch'])
  })
})
