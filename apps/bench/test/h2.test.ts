// The h2 workloads' servers and peers, for real: a certificate from the openssl CLI, the embedded
// node:http2 server (and nginx's `listen ssl http2` block when nginx is installed), and every h2
// peer reading every h2 workload's answer in full, inline, over TLS with ALPN h2.
import http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findNginx } from '../src/bench.js'
import { createH2BenchServer, makeCert, type BenchCert } from '../src/h2-server.js'
import { startNginx } from '../src/nginx.js'
import { PEERS } from '../src/peers/index.js'
import { peerSpeaks } from '../src/peers/peer.js'
import { WORKLOADS, checkAnswer, prepareWorkload, selectWorkloads } from '../src/workloads.js'

const H2 = WORKLOADS.filter((w) => w.protocol === 'h2')
const H2_PEERS = PEERS.filter((p) => peerSpeaks(p, 'h2'))

let cert: BenchCert
beforeAll(() => {
  cert = makeCert()
})
afterAll(() => cert?.remove())

async function runPeers(origin: string): Promise<void> {
  for (const def of H2_PEERS) {
    for (const w of H2) {
      const peer = def.create()
      await peer.setup({ origin, connections: w.concurrency, ca: cert.cert })
      try {
        const p = prepareWorkload(w, origin)
        const answers = await Promise.all(Array.from({ length: w.concurrency }, () => peer.request(p)))
        for (const a of answers) expect(checkAnswer(w, a), `${def.name} on ${w.name}`).toBeUndefined()
      } finally {
        await peer.teardown()
      }
    }
  }
}

describe('h2 workloads', () => {
  it('are a group of three, not in --quick, baseline undici-h2 and reference node-http2', () => {
    expect(H2.map((w) => w.name)).toEqual(['h2-small-1', 'h2-small-100', 'h2-download-1m'])
    expect(selectWorkloads(WORKLOADS, { quick: true, workloads: [] }).some((w) => w.protocol === 'h2')).toBe(false)
    expect(selectWorkloads(WORKLOADS, { quick: false, workloads: [] }).filter((w) => w.protocol === 'h2')).toHaveLength(3)
    expect(selectWorkloads(WORKLOADS, { quick: true, workloads: ['h2'] }).map((w) => w.name)).toEqual(H2.map((w) => w.name))
    for (const w of H2) expect([w.baseline, w.reference]).toEqual(['undici-h2', 'node-http2'])
    expect(H2_PEERS.map((p) => p.name)).toEqual(['sonic-h2', 'undici-h2', 'node-http2'])
  })

  it('the embedded h2 server speaks h2 only (ALPN), and every h2 peer reads every answer', async () => {
    const server = createH2BenchServer(cert)
    const addr = await server.listen(0, '127.0.0.1')
    const origin = `https://127.0.0.1:${addr.port}`
    try {
      const session = http2.connect(origin, { ca: cert.cert })
      const proto = await new Promise<string | false | undefined>((resolve, reject) => {
        session.once('connect', () => resolve(session.alpnProtocol))
        session.once('error', reject)
      })
      session.close()
      expect(proto).toBe('h2')
      await runPeers(origin)
    } finally {
      await server.close()
    }
  })

  it.runIf(findNginx() !== undefined)("nginx's `listen ssl http2` block answers every h2 peer", async () => {
    const nginx = await startNginx(findNginx()!, { h2: { certPath: cert.certPath, keyPath: cert.keyPath } })
    try {
      expect(nginx.h2Origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      await runPeers(nginx.h2Origin!)
    } finally {
      await nginx.stop()
    }
  })
})
