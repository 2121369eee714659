// Real loopback servers for the integration tests: one parses uploads with busboy and records
// every field and file byte for byte, one just counts and discards the bytes it receives.
import { once } from 'node:events'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'

export interface ReceivedField {
  name: string
  value: string
  mimeType: string
}

export interface ReceivedFile {
  name: string
  filename: string | undefined
  mimeType: string
  data: Buffer
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders
  /** Every body byte as received (after de-chunking). */
  raw: Buffer
  fields: ReceivedField[]
  files: ReceivedFile[]
  /** Parts in arrival order: `field:name` / `file:name`. */
  order: string[]
}

export interface TestServer {
  url: string
  requests: ReceivedRequest[]
  close(): Promise<void>
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

function closer(server: Server): () => Promise<void> {
  return async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
}

/** A server that parses multipart/form-data with busboy; answers `{ id }` (an index into `requests`). */
export async function startBusboyServer(): Promise<TestServer> {
  const requests: ReceivedRequest[] = []
  const server = createServer((req, res) => {
    const rec: ReceivedRequest = { headers: req.headers, raw: Buffer.alloc(0), fields: [], files: [], order: [] }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    const bb = busboy({ headers: req.headers, defParamCharset: 'utf8', preservePath: true, limits: { fieldSize: 16 * 1024 * 1024 } })
    const fileDone: Promise<void>[] = []
    bb.on('field', (name, value, info) => {
      rec.fields.push({ name, value, mimeType: info.mimeType })
      rec.order.push(`field:${name}`)
    })
    bb.on('file', (name, stream, info) => {
      rec.order.push(`file:${name}`)
      const parts: Buffer[] = []
      stream.on('data', (c: Buffer) => parts.push(c))
      fileDone.push(
        once(stream, 'close').then(() => {
          rec.files.push({ name, filename: info.filename, mimeType: info.mimeType, data: Buffer.concat(parts) })
        }),
      )
    })
    pipeline(req, bb)
      .then(() => Promise.all(fileDone))
      .then(() => {
        rec.raw = Buffer.concat(chunks)
        requests.push(rec)
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ id: requests.length - 1 }))
      })
      .catch((err: Error) => {
        res.statusCode = 400
        res.end(JSON.stringify({ error: err.message }))
      })
  })
  return { url: await listen(server), requests, close: closer(server) }
}

export interface CountingServer {
  url: string
  /** Bytes received per request, in order. */
  counts: number[]
  /** Request headers per request, in order. */
  headers: IncomingHttpHeaders[]
  close(): Promise<void>
}

/** A server that discards request bodies and answers with the number of bytes it received. */
export async function startCountingServer(): Promise<CountingServer> {
  const counts: number[] = []
  const headers: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    let n = 0
    req.on('data', (c: Buffer) => {
      n += c.byteLength
    })
    req.on('end', () => {
      counts.push(n)
      headers.push(req.headers)
      res.end(String(n))
    })
  })
  return { url: await listen(server), counts, headers, close: closer(server) }
}

/** Response of a POST made with node:http. */
export interface PostResult {
  status: number
  body: string
}

/** POSTs `body` with node:http (a fresh connection), streaming it through pipeline(). */
export async function postWithHttp(
  url: string,
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<PostResult> {
  const req = request(url, { method: 'POST', headers, agent: false, signal })
  const response = once(req, 'response')
  // If the upload fails, `response` never settles: keep it from becoming an unhandled rejection.
  response.catch(() => {})
  await pipeline(body, req)
  const [res] = (await response) as [import('node:http').IncomingMessage]
  let text = ''
  res.setEncoding('utf8')
  for await (const chunk of res) text += chunk
  return { status: res.statusCode ?? 0, body: text }
}
