// sonic's WHATWG fetch (`fetch` from @sonic/client), when the build has it: it is looked up at run
// time, so the bench runs (and says this row is skipped) on a client built before the export.
// With `createFetch` it is bound to an Agent whose pools have N connections, like the others;
// without it, the plain `fetch` on sonic's default client is used and the description says so.
import type { Agent } from '@sonic/client'
import type { PreparedWorkload } from '../workloads.js'
import { PeerUnavailableError, bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>
type CreateFetch = (opts: { dispatcher: unknown }) => FetchLike

/** `fetch` and `createFetch` from @sonic/client when it exports them (undefined otherwise). */
export function sonicFetchExports(mod: Record<string, unknown>): { fetch?: FetchLike; createFetch?: CreateFetch } {
  return {
    ...(typeof mod.fetch === 'function' && { fetch: mod.fetch as FetchLike }),
    ...(typeof mod.createFetch === 'function' && { createFetch: mod.createFetch as CreateFetch }),
  }
}

class SonicFetchPeer implements Peer {
  #agent: Agent | null = null
  #fetch: FetchLike | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    const client = await import('@sonic/client')
    const found = sonicFetchExports(client as unknown as Record<string, unknown>)
    if (found.fetch === undefined) throw new PeerUnavailableError('@sonic/client has no fetch export in this build')
    if (found.createFetch !== undefined) {
      this.#agent = new client.Agent({ poolConfigs: { ':default': { size: cfg.connections } } })
      this.#fetch = found.createFetch({ dispatcher: this.#agent })
    } else {
      this.#fetch = found.fetch
    }
  }

  async request(w: PreparedWorkload): Promise<unknown> {
    const body = bodyOf(w)
    const headers = headersOf(w)
    const res = await this.#fetch!(w.url, {
      method: w.method,
      ...(body !== undefined && { body }),
      ...(headers !== undefined && { headers }),
    })
    if (res.status !== 200) {
      await res.body?.cancel()
      expectOk(res.status, w.url)
    }
    if (w.response === 'json') return res.json()
    return (await res.arrayBuffer()).byteLength
  }

  async teardown(): Promise<void> {
    await this.#agent?.close()
    this.#agent = null
    this.#fetch = null
  }
}

export const sonicFetch: PeerDefinition = {
  name: 'sonic-fetch',
  label: 'sonic fetch',
  description: "sonic's fetch() (createFetch bound to an Agent of N connections per origin), arrayBuffer() / json(); skipped when @sonic/client has no fetch",
  create: () => new SonicFetchPeer(),
}
