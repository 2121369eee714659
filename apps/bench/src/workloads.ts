// The workloads, as data: what to send, how many requests in flight, and what a correct answer is.
// Adding one (HTTP/2, SSE, …) is one more entry here, plus support in the peers that can run it.
import { SIZE_1M, SIZE_64K, SMALL_BODY, filler } from './server-responses.js'

/** Wire protocol of a workload. */
export type Protocol = 'http1' | 'h2'

/** How a peer must read the answer: every byte of it, or parsed as JSON. */
export type ResponseKind = 'bytes' | 'json'

/** One workload, independent of the server it runs against. */
export interface Workload {
  /** Short id used on the command line (`--workloads small-50,download-1m`). */
  readonly name: string
  /** Human label for tables and the chart. */
  readonly label: string
  readonly method: 'GET' | 'POST'
  readonly path: string
  /** Requests in flight = connections every peer is given. */
  readonly concurrency: number
  /** Request body, sent with `contentType` (absent for GET). */
  readonly body?: Uint8Array<ArrayBuffer>
  /** JSON value posted with content-type application/json; the answer is parsed as JSON. */
  readonly json?: unknown
  readonly contentType?: string
  /** More request headers every peer sends (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>
  readonly response: ResponseKind
  /** Body bytes a correct answer has (for `bytes`), also used for MB/s. */
  readonly downloadBytes: number
  /** Request body bytes (for MB/s). */
  readonly uploadBytes: number
  /** True when the route needs the bench server's logic (a static file server cannot answer it). */
  readonly dynamic: boolean
  /**
   * Protocol the peers must speak: 'http1', or 'h2' (HTTP/2 over TLS with ALPN h2, on one
   * session; only peers whose `protocols` include 'h2' run it).
   */
  readonly protocol: Protocol
  /** Group name that selects this workload with others in `--workloads` (e.g. `h2`). */
  readonly group?: string
  /** A second peer the table gives ratios against (besides `baseline`), e.g. node:http2 itself. */
  readonly reference?: string
  /**
   * True when the requests go through a forward proxy the bench starts (tinyproxy); only peers
   * that can use one run it, and it is skipped when tinyproxy is not on PATH.
   */
  readonly viaProxy: boolean
  /** Part of `--quick` runs (CI); false = only in the full run or when named in `--workloads`. */
  readonly quick: boolean
  /** Peer every ratio of this workload is relative to, when not the run's baseline. */
  readonly baseline?: string
}

/** A workload bound to a server: full URL ready, JSON text serialised once for the checks. */
export interface PreparedWorkload extends Workload {
  readonly origin: string
  readonly url: string
  /** `body` as a Buffer view (same memory), for clients that want a Buffer. */
  readonly bodyBuffer: Buffer | undefined
}

const JSON_ITEMS = 12

/** A ~1 KiB JSON document: an id and a list of small records. */
export function jsonDocument(): { id: number; name: string; items: { n: number; label: string; ok: boolean }[] } {
  const items = []
  for (let n = 0; n < JSON_ITEMS; n++) items.push({ n, label: `item-${n}-${'x'.repeat(45)}`, ok: n % 2 === 0 })
  return { id: 42, name: 'sonic-bench', items }
}

const jsonDoc = jsonDocument()
const jsonBytes = Buffer.byteLength(JSON.stringify(jsonDoc))

/** Every workload, in the order they run and are shown. */
export const WORKLOADS: readonly Workload[] = [
  {
    name: 'small-1',
    label: 'small GET, 1 in flight',
    method: 'GET',
    path: '/small',
    concurrency: 1,
    response: 'bytes',
    downloadBytes: SMALL_BODY.length,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'http1',
    viaProxy: false,
    quick: true,
  },
  {
    name: 'small-50',
    label: 'small GET, 50 in flight',
    method: 'GET',
    path: '/small',
    concurrency: 50,
    response: 'bytes',
    downloadBytes: SMALL_BODY.length,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'http1',
    viaProxy: false,
    quick: true,
  },
  {
    name: 'download-1m',
    label: '1 MiB download, 10 in flight',
    method: 'GET',
    path: '/1m',
    concurrency: 10,
    response: 'bytes',
    downloadBytes: SIZE_1M,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'http1',
    viaProxy: false,
    quick: true,
  },
  {
    name: 'upload-64k',
    label: '64 KiB upload, 10 in flight',
    method: 'POST',
    path: '/echo',
    concurrency: 10,
    body: new Uint8Array(filler(SIZE_64K)),
    contentType: 'application/octet-stream',
    response: 'bytes',
    downloadBytes: String(SIZE_64K).length,
    uploadBytes: SIZE_64K,
    dynamic: true,
    protocol: 'http1',
    viaProxy: false,
    quick: true,
  },
  {
    name: 'chunked-1m',
    label: 'chunked 1 MiB download, 10 in flight',
    method: 'GET',
    path: '/chunked-1m',
    concurrency: 10,
    response: 'bytes',
    downloadBytes: SIZE_1M,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'http1',
    viaProxy: false,
    quick: true,
  },
  {
    name: 'json-1k',
    label: '1 KiB JSON POST, 50 in flight',
    method: 'POST',
    path: '/json',
    concurrency: 50,
    json: jsonDoc,
    contentType: 'application/json',
    response: 'json',
    downloadBytes: jsonBytes,
    uploadBytes: jsonBytes,
    dynamic: true,
    protocol: 'http1',
    viaProxy: false,
    quick: true,
  },
  {
    name: 'proxy-small',
    label: 'small GET through tinyproxy, 10 in flight',
    method: 'GET',
    path: '/small',
    concurrency: 10,
    // tinyproxy closes the connection after each answer without saying so (it drops the
    // server's Connection header and adds none): asking for close keeps clients from reusing a
    // socket the proxy is about to close, which fails undici's request and costs sonic a retry.
    headers: { connection: 'close' },
    response: 'bytes',
    downloadBytes: SMALL_BODY.length,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'http1',
    viaProxy: true,
    quick: false,
    baseline: 'undici-proxy',
  },
  {
    name: 'h2-small-1',
    label: 'h2 small GET, 1 in flight, one session',
    method: 'GET',
    path: '/small',
    concurrency: 1,
    response: 'bytes',
    downloadBytes: SMALL_BODY.length,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'h2',
    group: 'h2',
    viaProxy: false,
    quick: false,
    baseline: 'undici-h2',
    reference: 'node-http2',
  },
  {
    name: 'h2-small-100',
    label: 'h2 small GET, 100 in flight, one session',
    method: 'GET',
    path: '/small',
    concurrency: 100,
    response: 'bytes',
    downloadBytes: SMALL_BODY.length,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'h2',
    group: 'h2',
    viaProxy: false,
    quick: false,
    baseline: 'undici-h2',
    reference: 'node-http2',
  },
  {
    name: 'h2-download-1m',
    label: 'h2 1 MiB download, 1 in flight, one session',
    method: 'GET',
    path: '/1m',
    concurrency: 1,
    response: 'bytes',
    downloadBytes: SIZE_1M,
    uploadBytes: 0,
    dynamic: false,
    protocol: 'h2',
    group: 'h2',
    viaProxy: false,
    quick: false,
    baseline: 'undici-h2',
    reference: 'node-http2',
  },
]

/** Names that select a group of workloads in `--workloads` (each workload's `group`). */
export const WORKLOAD_GROUPS: readonly string[] = [...new Set(WORKLOADS.flatMap((w) => (w.group !== undefined ? [w.group] : [])))]

/** The workloads of a run: the ones named (by name or group), else all (without the full-run-only ones under --quick). */
export function selectWorkloads(all: readonly Workload[], options: { readonly quick: boolean; readonly workloads: readonly string[] }): Workload[] {
  if (options.workloads.length > 0) return all.filter((w) => options.workloads.includes(w.name) || (w.group !== undefined && options.workloads.includes(w.group)))
  return all.filter((w) => w.quick || !options.quick)
}

/** Binds a workload to `origin` (e.g. `http://127.0.0.1:8080`). */
export function prepareWorkload(w: Workload, origin: string): PreparedWorkload {
  const base = origin.replace(/\/+$/, '')
  const bodyBuffer = w.body ? Buffer.from(w.body.buffer, w.body.byteOffset, w.body.byteLength) : undefined
  return { ...w, origin: base, url: base + w.path, bodyBuffer }
}

/**
 * Checks one answer as returned by a peer: the byte count for `bytes` workloads, the parsed
 * document for `json` ones. Returns a reason when wrong, undefined when right.
 */
export function checkAnswer(w: Workload, answer: unknown): string | undefined {
  if (w.response === 'bytes') {
    return answer === w.downloadBytes ? undefined : `expected ${w.downloadBytes} body bytes, got ${String(answer)}`
  }
  const doc = answer as { id?: unknown; items?: unknown } | null
  if (doc !== null && typeof doc === 'object' && doc.id === 42 && Array.isArray(doc.items) && doc.items.length === JSON_ITEMS) {
    return undefined
  }
  return 'the JSON answer is not the document that was posted'
}

/** The raw bytes of the request a workload sends (for the raw-socket ceiling client). */
export function rawRequest(w: PreparedWorkload): Buffer {
  const url = new URL(w.url)
  const body = w.json !== undefined ? Buffer.from(JSON.stringify(w.json)) : w.body ? Buffer.from(w.body) : undefined
  let head = `${w.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`
  if (body) head += `Content-Type: ${w.contentType ?? 'application/octet-stream'}\r\nContent-Length: ${body.length}\r\n`
  head += '\r\n'
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1')
}
