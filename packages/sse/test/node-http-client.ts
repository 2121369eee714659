// A tiny client over node:http with sonic's request shape, to prove SSEClient works with any
// client, not only the fetch adapter. No keep-alive: each request has its own socket.
import http from 'node:http'
import type { SSECapableClient, SSECapableResponse, SSERequestOptions } from '../src/index.js'

export class NodeHttpClient implements SSECapableClient {
  /** Every request made, for assertions. */
  readonly calls: Array<{ url: string; options: SSERequestOptions }> = []

  request(url: string, options: SSERequestOptions): Promise<SSECapableResponse> {
    this.calls.push({ url, options })
    const target = new URL(url)
    if (options.params !== undefined) {
      for (const [k, v] of Object.entries(options.params as Record<string, string>)) target.searchParams.append(k, String(v))
    }
    const headers: Record<string, string> = { ...options.headers }
    let body: string | undefined
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers['content-type'] = 'application/json'
    } else if (typeof options.data === 'string') {
      body = options.data
    }
    return new Promise((resolve, reject) => {
      const req = http.request(target, { method: options.method ?? 'GET', headers, agent: false, signal: options.signal }, (res) => {
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get(name: string): string | null {
              const v = res.headers[name.toLowerCase()]
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
            },
          },
          readChunks: () => res,
          async release(): Promise<void> {
            res.destroy()
          },
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  }
}
