// The shape every peer module implements. A peer is one way of making a request (a client and
// the call used); the list of peers is data (peers/index.ts), so adding one is one file.
import type { PreparedWorkload, Protocol } from '../workloads.js'

/** What a peer is given before a workload's runs. */
export interface PeerConfig {
  /** `http://host:port` of the server. */
  readonly origin: string
  /** Keep-alive connections the peer may open: equal to the workload's requests in flight. */
  readonly connections: number
  /** `http://host:port` of the forward proxy every request goes through (proxy workloads only). */
  readonly proxy?: string
  /** PEM of the CA that signed the server's certificate (h2 workloads: TLS with a self-signed cert). */
  readonly ca?: string
}

/** One live client set up for one workload. */
export interface Peer {
  /** Opens the client (pools, agents). Throws PeerUnavailableError when the client cannot load. */
  setup(cfg: PeerConfig): Promise<void>
  /**
   * Makes one request and reads the whole answer. Resolves with the number of body bytes for
   * `bytes` workloads and with the parsed document for `json` ones.
   */
  request(w: PreparedWorkload): Promise<unknown>
  /** Closes everything `setup` opened. */
  teardown(): Promise<void>
}

/** A peer as listed in the bench: identity plus a factory. */
export interface PeerDefinition {
  /** Id used on the command line (`--only sonic,undici-request`). */
  readonly name: string
  /** Label for tables and the chart. */
  readonly label: string
  /** One line on what is measured, for --help and docs. */
  readonly description: string
  /**
   * Which workloads the peer runs: `direct` ones (the default), `proxy` ones (requests through
   * the bench's forward proxy, given as `PeerConfig.proxy`) or `both`.
   */
  readonly runs?: 'direct' | 'proxy' | 'both'
  /** Protocols of the workloads the peer runs (a workload's `protocol`). @default ['http1'] */
  readonly protocols?: readonly Protocol[]
  create(): Peer
}

/** True when `def` runs workloads that go through a proxy (`viaProxy`) or direct ones. */
export function peerRuns(def: PeerDefinition, viaProxy: boolean): boolean {
  const runs = def.runs ?? 'direct'
  return runs === 'both' || runs === (viaProxy ? 'proxy' : 'direct')
}

/** True when `def` runs workloads of `protocol` (peers speak HTTP/1.1 unless they say otherwise). */
export function peerSpeaks(def: PeerDefinition, protocol: Protocol): boolean {
  return (def.protocols ?? ['http1']).includes(protocol)
}

/** The peer's client is not available (e.g. not built yet): it is skipped, not failed. */
export class PeerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PeerUnavailableError'
  }
}

/** Throws unless `status` is 200: every bench route answers 200. */
export function expectOk(status: number, url: string): void {
  if (status !== 200) throw new Error(`${url} answered ${status}`)
}

/** The request body a peer sends for `w`, serialised JSON included. */
export function bodyOf(w: PreparedWorkload): Uint8Array<ArrayBuffer> | string | undefined {
  if (w.json !== undefined) return JSON.stringify(w.json)
  return w.body
}

/** The request headers for `w`: content-type and the workload's own (clients add content-length). */
export function headersOf(w: PreparedWorkload): Record<string, string> | undefined {
  if (w.headers === undefined) return w.contentType ? { 'content-type': w.contentType } : undefined
  return w.contentType ? { 'content-type': w.contentType, ...w.headers } : { ...w.headers }
}
