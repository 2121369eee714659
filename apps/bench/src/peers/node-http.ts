// node:http with a keep-alive Agent (maxSockets = requests in flight); the body is collected into
// one Buffer, as users of http.request do.
import http from 'node:http'
import type { PreparedWorkload } from '../workloads.js'
import { bodyOf, expectOk, headersOf, type Peer, type PeerConfig, type PeerDefinition } from './peer.js'

/** The keep-alive agent shared by the node:http based peers (node:http, got, axios, node-fetch). */
export function keepAliveAgent(connections: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
}

class NodeHttpPeer implements Peer {
  #agent: http.Agent | null = null
  #host = ''
  #port = 0

  async setup(cfg: PeerConfig): Promise<void> {
    const url = new URL(cfg.origin)
    this.#host = url.hostname
    this.#port = Number(url.port || 80)
    this.#agent = keepAliveAgent(cfg.connections)
  }

  request(w: PreparedWorkload): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.#host, port: this.#port, path: w.path, method: w.method, headers: headersOf(w), agent: this.#agent! },
        (res) => {
          const parts: Buffer[] = []
          res.on('data', (chunk: Buffer) => parts.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            try {
              expectOk(res.statusCode ?? 0, w.url)
              const body = Buffer.concat(parts)
              resolve(w.response === 'json' ? JSON.parse(body.toString('utf8')) : body.length)
            } catch (err) {
              reject(err)
            }
          })
        },
      )
      req.on('error', reject)
      const body = bodyOf(w)
      req.end(body)
    })
  }

  async teardown(): Promise<void> {
    this.#agent?.destroy()
    this.#agent = null
  }
}

export const nodeHttp: PeerDefinition = {
  name: 'node-http',
  label: 'node:http',
  description: 'http.request() with a keep-alive Agent (maxSockets = in flight), body collected',
  create: () => new NodeHttpPeer(),
}
