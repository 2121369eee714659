// undici's Pool.dispatch with a raw handler: undici's lowest public layer, no stream, no promise
// per chunk. It counts body bytes as they arrive (what a raw handler does) and parses JSON answers.
import { Pool } from 'undici'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

class UndiciDispatchPeer implements Peer {
  #pool: Pool | null = null

  async setup(cfg: PeerConfig): Promise<void> {
    this.#pool = new Pool(cfg.origin, { connections: cfg.connections, pipelining: 1 })
  }

  request(w: PreparedWorkload): Promise<unknown> {
    const pool = this.#pool!
    return new Promise((resolve, reject) => {
      let status = 0
      let bytes = 0
      const parts: Buffer[] | null = w.response === 'json' ? [] : null
      // The legacy handler methods: in undici 7.16 they reach the connection without a wrapper,
      // which makes this the raw path (the controller-style API is adapted onto it).
      pool.dispatch(
        { origin: w.origin, path: w.path, method: w.method, body: bodyOf(w), headers: headersOf(w) },
        {
          onConnect() {},
          onHeaders(statusCode) {
            status = statusCode
            return true
          },
          onData(chunk) {
            bytes += chunk.length
            if (parts !== null) parts.push(chunk)
            return true
          },
          onComplete() {
            try {
              expectOk(status, w.url)
              resolve(parts === null ? bytes : JSON.parse(Buffer.concat(parts).toString('utf8')))
            } catch (err) {
              reject(err)
            }
          },
          onError: reject,
        },
      )
    })
  }

  async teardown(): Promise<void> {
    await this.#pool?.close()
    this.#pool = null
  }
}

export const undiciDispatch: PeerDefinition = {
  name: 'undici-dispatch',
  label: 'undici Pool.dispatch',
  description: 'undici Pool.dispatch() with a raw handler that counts body bytes',
  create: () => new UndiciDispatchPeer(),
}
