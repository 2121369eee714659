// undici's Pool.dispatch with a raw handler: undici's lowest public layer, no stream, no promise
// per chunk. It counts body bytes as they arrive (what a raw handler does) and parses JSON answers.
// The handler takes the form the connection calls without an adapter: in undici 7 the legacy
// onConnect/onHeaders/onData/onComplete methods, in undici 8 the controller form
// (onRequestStart/onResponseStart/onResponseData/onResponseEnd/onResponseError).
import type { Dispatcher, Pool } from 'undici7'
import { loadUndici, undiciMajor } from '../libs.js'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

type Settle = { resolve: (v: unknown) => void; reject: (err: unknown) => void }

function finish(w: PreparedWorkload, status: number, bytes: number, parts: Buffer[] | null, s: Settle): void {
  try {
    expectOk(status, w.url)
    s.resolve(parts === null ? bytes : JSON.parse(Buffer.concat(parts).toString('utf8')))
  } catch (err) {
    s.reject(err)
  }
}

function legacyHandler(w: PreparedWorkload, s: Settle): Dispatcher.DispatchHandler {
  let status = 0
  let bytes = 0
  const parts: Buffer[] | null = w.response === 'json' ? [] : null
  return {
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
    onComplete: () => finish(w, status, bytes, parts, s),
    onError: s.reject,
  }
}

function controllerHandler(w: PreparedWorkload, s: Settle): Dispatcher.DispatchHandler {
  let status = 0
  let bytes = 0
  const parts: Buffer[] | null = w.response === 'json' ? [] : null
  return {
    onRequestStart() {},
    onResponseStart(_controller, statusCode) {
      status = statusCode
    },
    onResponseData(_controller, chunk) {
      bytes += chunk.length
      if (parts !== null) parts.push(chunk)
    },
    onResponseEnd: () => finish(w, status, bytes, parts, s),
    onResponseError: (_controller, err) => s.reject(err),
  }
}

class UndiciDispatchPeer implements Peer {
  #pool: Pool | null = null
  #handler = legacyHandler

  async setup(cfg: PeerConfig): Promise<void> {
    const { Pool } = await loadUndici()
    this.#handler = undiciMajor() >= 8 ? controllerHandler : legacyHandler
    this.#pool = new Pool(cfg.origin, { connections: cfg.connections, pipelining: 1 })
  }

  request(w: PreparedWorkload): Promise<unknown> {
    const pool = this.#pool!
    return new Promise((resolve, reject) => {
      pool.dispatch({ origin: w.origin, path: w.path, method: w.method, body: bodyOf(w), headers: headersOf(w) }, this.#handler(w, { resolve, reject }))
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
