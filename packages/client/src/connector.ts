// The connectors of API.md: Agents with a transport of their own. TCPConnector dials TCP (and
// TLS) with DNS through a resolver and a TTL cache; UnixConnector speaks over a unix socket.
import { InvalidArgumentError } from '@sonic/core'
import type { Resolver } from '@sonic/resolver'
import { TcpTransport, UnixTransport } from '@sonic/transport'
import { Agent, type AgentOptions } from './agent.js'

export type { ConnectTarget, ConnectionFactory, PoolClass } from './agent.js'

export interface ConnectorOptions extends Omit<AgentOptions, 'transport'> {
  /**
   * DNS resolver.
   * @default new SystemResolver()
   */
  resolver?: Resolver
  /**
   * How long (ms) resolved addresses are cached.
   * @default 10000
   */
  ttlDnsCache?: number
  /**
   * Cache DNS answers.
   * @default true
   */
  useDnsCache?: boolean
  /** Address family to connect with (4 or 6); default: both, Happy Eyeballs. */
  family?: 0 | 4 | 6
  /** Local address to bind outgoing connections to. */
  localAddress?: string
}

/**
 * Connects over TCP (and TLS for https), with a per-origin pool, DNS through a resolver and
 * a TTL cache, and Happy Eyeballs.
 * @example new TCPConnector({ poolConfigs: { ':default': { size: 50 } }, timeouts: { sockRead: 5000 } })
 */
export class TCPConnector extends Agent {
  readonly resolver: Resolver
  readonly #tcp: TcpTransport

  constructor(opts: ConnectorOptions = {}) {
    const tcp = new TcpTransport({
      resolver: opts.resolver,
      ttlDnsCache: opts.ttlDnsCache,
      useDnsCache: opts.useDnsCache,
      family: opts.family,
      localAddress: opts.localAddress,
    })
    super({ ...opts, transport: tcp })
    this.#tcp = tcp
    this.resolver = tcp.resolver
  }

  /** Forgets cached DNS answers (of one host, or all). */
  clearDnsCache(host?: string): void {
    this.#tcp.clearDnsCache(host)
  }

  /** Host names with a cached DNS answer. */
  get cachedHosts(): string[] {
    return this.#tcp.cachedHosts
  }

  override async close(): Promise<void> {
    await super.close()
    await this.#tcp.close()
  }
}

export interface UnixConnectorOptions extends Omit<AgentOptions, 'transport'> {
  /** Path of the unix domain socket every request goes to. */
  path: string
}

/**
 * Speaks HTTP over a unix domain socket; the URL's host only fills the Host header.
 * @example new HTTPClient({ connector: new UnixConnector({ path: '/var/run/docker.sock' }) })
 */
export class UnixConnector extends Agent {
  readonly path: string

  constructor(opts: UnixConnectorOptions) {
    if (typeof opts?.path !== 'string' || opts.path === '') throw new InvalidArgumentError('UnixConnector needs a socket path')
    super({ ...opts, transport: new UnixTransport({ path: opts.path }) })
    this.path = opts.path
  }
}

/** What HTTPClient's `connector` takes: any Agent (TCPConnector, UnixConnector, new Agent()). */
export type Connector = Agent
