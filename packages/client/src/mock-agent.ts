// MockAgent: a dispatcher for users' own tests. It answers requests from interceptors registered
// with intercept() — no socket is opened — and keeps a history of what it was asked. Requests no
// interceptor matches go to a real Agent while net connect is allowed, else fail with
// MockNotMatchedError. Built on Dispatch: HTTPClient's own interceptors (redirects, cookies,
// decompression) run on top of it as they do on top of an Agent.
import { STATUS_CODES } from 'node:http'
import {
  bodyFrom,
  ClientClosedError,
  HttpHeaders,
  InvalidArgumentError,
  isStreamBody,
  MockNotMatchedError,
  type Dispatch,
  type DispatchRequest,
  type Dispatcher,
  type HeadersInit,
  type HttpResponseHead,
} from '@sonic/core'
import { Agent } from './agent.js'
import { checkMatcher, MockInterceptor, originOf, test, type MockInterceptOptions, type MockMatcher, type MockReplyBody, type MockRequest, type MockScope, type Reply } from './mock-interceptor.js'
import { wait } from './wait.js'

export { MockScope } from './mock-interceptor.js'
export type { MockInterceptOptions, MockMatcher, MockReplyBody, MockRequest } from './mock-interceptor.js'

export interface MockAgentOptions {
  /**
   * Where requests go that no interceptor matches while net connect is allowed.
   * @default a new Agent(), made on first use
   */
  agent?: Dispatcher
}

/** What intercept() returns: say how to answer. */
export interface MockInterception {
  /** Answers with `status`, `body` (text, bytes, JSON, or a function of the request) and `headers`. */
  reply(status: number, body?: MockReplyBody | ((req: MockRequest) => MockReplyBody | Promise<MockReplyBody>), headers?: HeadersInit): MockScope
  /** Fails the request with `error` (e.g. a ConnectError, to test error handling). */
  replyWithError(error: Error): MockScope
}

/**
 * A dispatcher for tests of code that uses sonic: interceptors answer, `calls` records.
 * @example
 * const mock = new MockAgent()
 * mock.disableNetConnect()
 * mock.intercept({ origin: 'http://api.test', path: '/users/1' }).reply(200, { id: 1 })
 * const client = new HTTPClient({ dispatcher: mock })
 * const user = await (await client.get('http://api.test/users/1')).json()
 * mock.assertNoPendingInterceptors()
 */
export class MockAgent implements Dispatcher {
  /** Answers one request (bound: pass it around freely). */
  readonly dispatch: Dispatch
  readonly #interceptors: MockInterceptor[] = []
  readonly #calls: MockRequest[] = []
  #net: true | false | MockMatcher[] = true
  #agent: Dispatcher | null
  #closed = false

  constructor(opts: MockAgentOptions = {}) {
    const given = opts.agent
    if (given !== undefined && (given === null || typeof given.dispatch !== 'function' || typeof given.close !== 'function')) {
      throw new InvalidArgumentError('agent must be an Agent or an object with dispatch() and close()')
    }
    this.#agent = given ?? null
    this.dispatch = (req) => this.#dispatch(req)
  }

  /** Registers an interceptor; answer it with `.reply(...)` or `.replyWithError(...)`. Interceptors match in the order registered. */
  intercept(options: MockInterceptOptions): MockInterception {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('intercept() needs { origin, path }')
    const origin = checkMatcher(options.origin, 'origin')
    checkMatcher(options.path, 'path')
    if (options.method !== undefined) checkMatcher(options.method, 'method')
    const match = Object.freeze({ ...options, origin: typeof origin === 'string' ? originOf(origin) : origin })
    const it = new MockInterceptor(match)
    this.#interceptors.push(it)
    return {
      reply: (status, body, headers) => {
        if (!Number.isInteger(status) || status < 100 || status > 999) throw new InvalidArgumentError(`reply() needs an HTTP status, got ${String(status)}`)
        it.answer = { status, body, headers }
        return it.scope
      },
      replyWithError: (error) => {
        if (!(error instanceof Error)) throw new InvalidArgumentError('replyWithError() needs an Error')
        it.answer = error
        return it.scope
      },
    }
  }

  /** Unmatched requests fail with MockNotMatchedError instead of going to the network. */
  disableNetConnect(): void {
    this.#net = false
  }

  /**
   * Lets unmatched requests go to the real agent: all of them, or (called with a host) those to
   * that host — 'localhost:8080' or a hostname, a RegExp or a function of `host:port`. Calls add up.
   */
  enableNetConnect(host?: MockMatcher): void {
    if (host === undefined) this.#net = true
    else {
      checkMatcher(host, 'host')
      if (Array.isArray(this.#net)) this.#net.push(host)
      else this.#net = [host]
    }
  }

  /** Every request the mock received, matched or not, oldest first. */
  get calls(): readonly MockRequest[] {
    return this.#calls
  }

  /** Forgets the call history. */
  clearCalls(): void {
    this.#calls.length = 0
  }

  /** Descriptions of the interceptors still waiting for a request (persisted ones never used included). */
  pendingInterceptors(): string[] {
    return this.#interceptors.filter((i) => i.pending).map((i) => i.describe())
  }

  /** Throws MockNotMatchedError listing the interceptors that were never used up. */
  assertNoPendingInterceptors(): void {
    const pending = this.pendingInterceptors()
    if (pending.length === 0) return
    throw new MockNotMatchedError(`${pending.length} mock interceptor${pending.length === 1 ? ' is' : 's are'} pending:\n${pending.map((p) => `- ${p}`).join('\n')}`)
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Later requests reject with ClientClosedError; the real agent it made (or was given) is closed. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#agent?.close()
  }

  async #dispatch(req: DispatchRequest): Promise<HttpResponseHead> {
    if (this.#closed) throw new ClientClosedError('The mock agent is closed')
    const call = await mockRequestOf(req)
    this.#calls.push(call)
    const it = this.#interceptors.find((i) => i.usable && i.matches(call))
    if (it === undefined) {
      // A streamed body was read into the history: the real agent sends those bytes.
      if (this.#netAllowed(req.origin)) return this.#real().dispatch(isStreamBody(req.body) ? { ...req, body: call.bytes } : req)
      throw new MockNotMatchedError(this.#notMatched(call))
    }
    const scope = it.scope
    scope.used++
    if (!scope.persisted) scope.left--
    if (scope.delayMs > 0) await wait(scope.delayMs, req.signal ?? null)
    const answer = it.answer!
    if (answer instanceof Error) throw answer
    return respond(answer, call)
  }

  #netAllowed(origin: string): boolean {
    const net = this.#net
    if (typeof net === 'boolean') return net
    let host = origin
    let hostname = origin
    try {
      const u = new URL(origin)
      host = u.host
      hostname = u.hostname
    } catch {
      // a malformed origin is matched as it is
    }
    return net.some((m) => (typeof m === 'string' ? m === host || m === hostname : test(m, host)))
  }

  #real(): Dispatcher {
    if (this.#agent === null) this.#agent = new Agent()
    return this.#agent
  }

  #notMatched(call: MockRequest): string {
    const list = this.#interceptors.map((i) => `- ${i.describe()}`)
    const headers = Object.entries(call.headers).map(([k, v]) => `${k}: ${v}`).join(', ')
    return (
      `No mock interceptor matched ${call.method} ${call.origin}${call.path}` +
      (this.#net === false ? ' (net connect is disabled)' : ' (net connect is not enabled for this host)') +
      `\nRequest headers: {${headers}}` +
      (call.body === null ? '' : `\nRequest body: ${preview(call.body)}`) +
      (list.length === 0 ? '\nNo interceptors are registered.' : `\nInterceptors:\n${list.join('\n')}`)
    )
  }
}

/** The response head of a reply. */
async function respond(reply: Reply, req: MockRequest): Promise<HttpResponseHead> {
  let body = reply.body
  if (typeof body === 'function') body = await (body as (r: MockRequest) => MockReplyBody | Promise<MockReplyBody>)(req)
  const headers = new HttpHeaders(reply.headers)
  let bytes: Uint8Array
  if (body === undefined || body === null) bytes = new Uint8Array(0)
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8')
  else if (body instanceof Uint8Array) bytes = body
  else {
    bytes = Buffer.from(JSON.stringify(body) ?? 'null', 'utf8')
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  }
  const noBody = req.method === 'HEAD' || reply.status === 204 || reply.status === 304
  return {
    status: reply.status,
    statusText: STATUS_CODES[reply.status] ?? '',
    httpVersion: '1.1',
    headers,
    chunked: false,
    body: bodyFrom(noBody ? new Uint8Array(0) : bytes),
  }
}

/** The request as the mock records it (the body read whole). */
async function mockRequestOf(req: DispatchRequest): Promise<MockRequest> {
  const headers: Record<string, string> = {}
  const flat = req.headers
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase()
    const prev = headers[name]
    headers[name] = prev === undefined ? flat[i + 1]! : `${prev}, ${flat[i + 1]!}`
  }
  let bytes: Uint8Array | null = null
  const body = req.body
  if (body instanceof Uint8Array) bytes = body
  else if (body !== null && isStreamBody(body)) {
    const parts: Buffer[] = []
    for await (const chunk of body.stream()) parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    bytes = Buffer.concat(parts)
  }
  const text = bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  return Object.freeze({ method: req.method, origin: req.origin, path: req.path, headers: Object.freeze(headers), body: text, bytes })
}

function preview(text: string): string {
  return text.length > 200 ? JSON.stringify(text.slice(0, 200)) + '…' : JSON.stringify(text)
}

