// BalancedAgent: one logical service on several hosts (aiohttp 0.17's HttpClient(hosts,
// failed_timeout), undici's BalancedPool). Requests to its placeholder origin — what HTTPClient's
// relative URLs resolve to when it is the dispatcher — go round-robin to the healthy hosts; a host
// that fails to connect or drops a fresh connection is skipped for `failedTimeout` ms, and the
// request moves on to the next host when that is safe. Other origins go through as on an Agent.
import { performance } from 'node:perf_hooks'
import {
  ConnectError,
  ConnectionClosedError,
  ConnectTimeoutError,
  DnsError,
  InvalidArgumentError,
  isStreamBody,
  type Dispatch,
  type DispatchRequest,
  type Dispatcher,
  type HttpResponseHead,
  type Timeouts,
  type TlsOptions,
} from '@sonic/core'
import { Agent, type AgentOptions, type AgentStats } from './agent.js'
import { TCPConnector, type ConnectorOptions } from './connector.js'
import { isIdempotent } from './normalize-request.js'

/** The origin that stands for "one of the hosts": HTTPClient resolves relative URLs against it. */
const BALANCED_ORIGIN = 'http://sonic-balanced.invalid'

export interface BalancedAgentOptions extends ConnectorOptions {
  /** The hosts of the service: origins such as 'http://10.0.0.1:8080' or 'https://b.example'. */
  hosts: readonly string[]
  /**
   * How long (ms) a host that failed is skipped.
   * @default 5000
   */
  failedTimeout?: number
  /**
   * TLS settings for https hosts, used when a request brings none.
   * @default null (verify against the default CAs)
   */
  tls?: TlsOptions | null
  /** How bytes reach a host (the connector's DNS options are then not used). */
  transport?: AgentOptions['transport']
}

/** One host of a BalancedAgent and its health. */
export interface BalancedHost {
  readonly origin: string
  /** Not skipped now. */
  readonly healthy: boolean
  /** When (performance.now() ms) it may be tried again after a failure; 0 if it never failed. */
  readonly failedUntil: number
}

interface Host {
  readonly origin: string
  readonly authority: string
  readonly scheme: 'http' | 'https'
  failedUntil: number
}

/**
 * A dispatcher that spreads requests over several hosts of one service and skips failed ones.
 * Give it to HTTPClient as the dispatcher and request relative URLs.
 * @example
 * const client = new HTTPClient({ dispatcher: new BalancedAgent({ hosts: ['http://10.0.0.1:8080', 'http://10.0.0.2:8080'] }) })
 * const res = await client.get('/health')
 */
export class BalancedAgent implements Dispatcher {
  /** The placeholder origin of balanced requests (HTTPClient uses it as its baseUrl). */
  static readonly origin = BALANCED_ORIGIN
  /** Sends one request to a healthy host (bound: pass it around freely). */
  readonly dispatch: Dispatch
  /** The agent under it (pools per host). */
  readonly agent: Agent
  readonly failedTimeout: number
  readonly #hosts: Host[]
  readonly #tls: TlsOptions | null
  #cursor = 0

  constructor(opts: BalancedAgentOptions) {
    if (opts === null || typeof opts !== 'object' || !Array.isArray(opts.hosts) || opts.hosts.length === 0) {
      throw new InvalidArgumentError('BalancedAgent needs hosts: a non-empty array of origins')
    }
    const failedTimeout = opts.failedTimeout ?? 5000
    if (typeof failedTimeout !== 'number' || !Number.isFinite(failedTimeout) || failedTimeout < 0) {
      throw new InvalidArgumentError('failedTimeout must be a non-negative number of ms')
    }
    this.failedTimeout = failedTimeout
    this.#hosts = opts.hosts.map(hostOf)
    if (new Set(this.#hosts.map((h) => h.origin)).size !== this.#hosts.length) throw new InvalidArgumentError('BalancedAgent hosts must differ')
    this.#tls = opts.tls ?? null
    const { hosts: _hosts, failedTimeout: _ft, tls: _tls, ...rest } = opts
    this.agent = rest.transport === undefined ? new TCPConnector(rest) : new Agent(rest)
    this.dispatch = (req) => (req.origin === BALANCED_ORIGIN ? this.#balanced(req) : this.agent.dispatch(req))
  }

  /** What HTTPClient resolves relative URLs against when this is its dispatcher. */
  get baseUrl(): string {
    return BALANCED_ORIGIN
  }

  /** The agent's default timeouts (HTTPClient takes them as its own). */
  get timeouts(): Timeouts {
    return this.agent.timeouts
  }

  get stats(): AgentStats {
    return this.agent.stats
  }

  /** The hosts and their health now. */
  get hosts(): readonly BalancedHost[] {
    const now = performance.now()
    return this.#hosts.map((h) => ({ origin: h.origin, healthy: h.failedUntil <= now, failedUntil: h.failedUntil }))
  }

  get closed(): boolean {
    return this.agent.closed
  }

  /** Closes the agent and its pools; later requests reject with ClientClosedError. */
  close(): Promise<void> {
    return this.agent.close()
  }

  async #balanced(req: DispatchRequest): Promise<HttpResponseHead> {
    const n = this.#hosts.length
    const start = this.#cursor
    this.#cursor = (start + 1) % n
    // Each host at most once per request: healthy ones from the cursor on, then the failed ones
    // (soonest back first) so that a request still gets a real answer or error when all failed.
    let tried = 0 // bit i: host i tried (more than 31 hosts: a Set)
    let triedSet: Set<number> | null = n > 31 ? new Set() : null
    let last: unknown
    for (let attempt = 0; attempt < n; attempt++) {
      const i = this.#pick(start, tried, triedSet)
      if (triedSet !== null) triedSet.add(i)
      else tried |= 1 << i
      const host = this.#hosts[i]!
      try {
        return await this.agent.dispatch(this.#onHost(req, host))
      } catch (err) {
        if (!hostFailed(err)) throw err
        host.failedUntil = performance.now() + this.failedTimeout
        last = err
        if (!mayMoveOn(err, req)) throw err
      }
    }
    throw last
  }

  /** The next host to try: the first healthy untried one from `start`, else the untried one back soonest. */
  #pick(start: number, tried: number, triedSet: Set<number> | null): number {
    const hosts = this.#hosts
    const n = hosts.length
    const now = performance.now()
    let fallback = -1
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n
      if (triedSet !== null ? triedSet.has(i) : (tried & (1 << i)) !== 0) continue
      if (hosts[i]!.failedUntil <= now) return i
      if (fallback < 0 || hosts[i]!.failedUntil < hosts[fallback]!.failedUntil) fallback = i
    }
    return fallback
  }

  /** The request as sent to `host`: its origin, Host and scheme (and TLS settings for https). */
  #onHost(req: DispatchRequest, host: Host): DispatchRequest {
    const tls = host.scheme === 'https' ? (req.tls ?? this.#tls) : null
    return { ...req, origin: host.origin, authority: host.authority, scheme: host.scheme, tls }
  }
}

/** A failure of the host itself (it did not take the connection, or dropped a fresh one). */
function hostFailed(err: unknown): boolean {
  if (err instanceof ConnectError || err instanceof ConnectTimeoutError || err instanceof DnsError) return true
  // A reused keep-alive connection the server closed while idle says nothing about the host: the
  // client's stale-connection retry resends that one.
  return err instanceof ConnectionClosedError && err.reused !== true
}

/**
 * Whether the request may go to the next host: nothing was sent when the connect failed; after a
 * dropped connection only an idempotent request whose body can be sent again.
 */
function mayMoveOn(err: unknown, req: DispatchRequest): boolean {
  const body = req.body
  if (body !== null && isStreamBody(body) && !body.replayable) return err instanceof ConnectError || err instanceof ConnectTimeoutError || err instanceof DnsError
  if (err instanceof ConnectionClosedError) return isIdempotent(req.method) && err.beforeResponse
  return true
}

function hostOf(value: unknown): Host {
  let url: URL
  try {
    url = new URL(String(value))
  } catch (cause) {
    throw new InvalidArgumentError(`Invalid BalancedAgent host: ${JSON.stringify(value)}`, { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`BalancedAgent hosts must be http or https origins, got ${JSON.stringify(value)}`)
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
    throw new InvalidArgumentError(`A BalancedAgent host is an origin without path, query or credentials, got ${JSON.stringify(value)}`)
  }
  return { origin: url.origin, authority: url.host, scheme: url.protocol === 'https:' ? 'https' : 'http', failedUntil: 0 }
}
