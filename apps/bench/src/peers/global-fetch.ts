// Node's built-in fetch (the undici bundled with Node). It uses Node's global dispatcher, which
// keeps connections alive and opens at most one per request in flight, so N in flight = N sockets.
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerDefinition } from './peer.js'

class GlobalFetchPeer implements Peer {
  async setup(): Promise<void> {}

  async request(w: PreparedWorkload): Promise<unknown> {
    const res = await globalThis.fetch(w.url, { method: w.method, body: bodyOf(w), headers: headersOf(w) })
    expectOk(res.status, w.url)
    if (w.response === 'json') return res.json()
    return (await res.arrayBuffer()).byteLength
  }

  async teardown(): Promise<void> {}
}

export const globalFetch: PeerDefinition = {
  name: 'fetch',
  label: 'Node fetch',
  description: "Node's global fetch() (the undici bundled with the Node that runs it), arrayBuffer() / json()",
  create: () => new GlobalFetchPeer(),
}
