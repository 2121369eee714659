// WHATWG fetch on sonic's engine: the input is normalised once (fetch-request.ts), sent through
// the same interceptors HTTPClient composes — deadline → redirect (20 hops, as the standard
// says) → stale-connection retry → the user's → decompress → the dispatcher, by default one
// shared Agent — straight at the Dispatch level, and the head comes back as the global Response
// (fetch-response.ts). Failures reject with a TypeError whose cause is the SonicError; an abort
// rejects with the signal's reason.
import { compose, InvalidArgumentError, Timeouts, type Dispatch, type Dispatcher, type Interceptor } from '@sonic/core'
import { Agent } from './agent.js'
import type { ClientResponseHead } from './client-request.js'
import { decompress } from './decompress.js'
import { inputError } from './fetch-body.js'
import { FETCH_MAX_REDIRECTS, prepareFetch, type FetchCall, type FetchInit, type FetchInput } from './fetch-request.js'
import { toResponse } from './fetch-response.js'
import { isRedirect, redirect } from './redirect.js'
import { deadline } from './request-deadline.js'
import { staleRetry } from './stale-retry.js'

export type { FetchInit, FetchInput, RedirectMode } from './fetch-request.js'

/** A fetch function: `fetch` itself, or one made by createFetch. */
export type FetchFunction = (input: FetchInput, init?: FetchInit) => Promise<Response>

export interface CreateFetchOptions {
  /**
   * What sends the requests: an Agent (its pools, transport and timeouts are used), or any
   * `{ dispatch, close }`. The caller owns it: close it when done.
   * @default the shared Agent of the module-level fetch
   */
  dispatcher?: Dispatcher
  /**
   * Interceptors around the dispatcher, the first outermost. They run on every hop (each
   * redirect and retry), inside the deadline, redirects and the stale-connection retry and
   * outside decompression, as HTTPClient's do.
   * @default []
   */
  interceptors?: Interceptor[]
}

/**
 * Timeouts of the shared Agent, as undici's fetch has them: 10 s to connect, 300 s for each wait
 * for bytes, no bound on the whole request (use `AbortSignal.timeout(ms)` for one).
 */
const FETCH_TIMEOUTS = new Timeouts({ sockConnect: 10000, sockRead: 300000, poolAcquire: null, requestTimeout: null })

let sharedAgent: Agent | null = null
let sharedFetch: FetchFunction | null = null

/** The Agent behind the module-level fetch (created on first use; its idle connections do not keep the process alive). */
export function getFetchAgent(): Agent {
  if (sharedAgent === null || sharedAgent.closed) {
    sharedAgent = new Agent({ timeouts: FETCH_TIMEOUTS })
    sharedFetch = null
  }
  return sharedAgent
}

const nativeFetch: typeof globalThis.fetch | undefined = globalThis.fetch

/**
 * A fetch bound to a dispatcher and interceptors.
 * @example
 * import { Agent, createFetch } from '@sonic/client'
 * const agent = new Agent({ poolConfigs: { ':default': { size: 10 } } })
 * const myFetch = createFetch({ dispatcher: agent })
 * const res = await myFetch('http://127.0.0.1:8080/')
 * console.log(res.status, await res.text())
 * await agent.close()
 */
export function createFetch(options: CreateFetchOptions = {}): FetchFunction {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('createFetch options must be an object')
  const dispatcher = options.dispatcher ?? getFetchAgent()
  if (dispatcher === null || typeof dispatcher !== 'object' || typeof dispatcher.dispatch !== 'function' || typeof dispatcher.close !== 'function') {
    throw new InvalidArgumentError('dispatcher must be an Agent or an object with dispatch() and close()')
  }
  const user = options.interceptors ?? []
  if (!Array.isArray(user)) throw new InvalidArgumentError('interceptors must be an array of functions')
  const own = (dispatcher as { timeouts?: unknown }).timeouts
  const timeouts = own instanceof Timeouts ? own : FETCH_TIMEOUTS
  // redirect: 'follow' goes through redirect(); 'manual' and 'error' through the same stack without it.
  const follow = compose(dispatcher.dispatch, deadline(), redirect({ maxRedirects: FETCH_MAX_REDIRECTS }), staleRetry(), ...user, decompress())
  const direct = compose(dispatcher.dispatch, deadline(), staleRetry(), ...user, decompress())
  const bound: FetchFunction = (input, init) => run(follow, direct, timeouts, input, init, bound)
  return bound
}

/**
 * WHATWG fetch over sonic's shared Agent: takes a URL string, a URL or a Request and resolves
 * with the global Response (body streamed, decompressed). Redirects follow the standard
 * (`redirect: 'follow' | 'manual' | 'error'`, 20 at most); a streaming body needs
 * `duplex: 'half'`; data: and blob: URLs go to Node's own fetch.
 * @example
 * import { fetch } from '@sonic/client'
 * const res = await fetch('http://127.0.0.1:8080/items', { headers: { accept: 'application/json' } })
 * console.log(res.status, res.headers.get('content-type'), await res.json())
 */
export function fetch(input: FetchInput, init?: FetchInit): Promise<Response> {
  if (sharedFetch === null || sharedAgent === null || sharedAgent.closed) sharedFetch = createFetch({ dispatcher: getFetchAgent() })
  return sharedFetch(input, init)
}

async function run(follow: Dispatch, direct: Dispatch, timeouts: Timeouts, input: FetchInput, init: FetchInit | undefined, self: FetchFunction): Promise<Response> {
  let prepared = prepareFetch(input, init, timeouts)
  if (typeof prepared === 'string') return otherScheme(prepared, input, init, self)
  if (prepared instanceof Promise) prepared = await prepared
  const call: FetchCall = prepared
  const signal = call.signal
  if (signal !== null && signal.aborted) throw signal.reason
  let head: ClientResponseHead
  try {
    head = await (call.redirect === 'follow' ? follow : direct)(call.req)
  } catch (err) {
    if (signal !== null && signal.aborted) throw signal.reason
    throw err instanceof TypeError ? err : new TypeError('fetch failed', { cause: err })
  }
  if (call.redirect === 'error' && isRedirect(head.status)) {
    head.body.cancel().catch(() => {})
    throw new TypeError('fetch failed: unexpected redirect', { cause: new InvalidArgumentError(`fetch: a ${head.status} redirect with redirect: 'error'`) })
  }
  if (signal !== null && signal.aborted) {
    head.body.cancel(new Error('aborted')).catch(() => {})
    throw signal.reason
  }
  let url = head.url ?? call.req.href
  const hash = url.indexOf('#')
  if (hash >= 0) url = url.slice(0, hash)
  return toResponse(head, call.req.method, url, signal)
}

/** data:, blob: (Node's own fetch answers them) and unsupported schemes (→ TypeError). */
function otherScheme(protocol: string, input: FetchInput, init: FetchInit | undefined, self: FetchFunction): Promise<Response> {
  if ((protocol === 'data:' || protocol === 'blob:') && nativeFetch !== undefined && nativeFetch !== (self as unknown) && nativeFetch !== (fetch as unknown)) {
    return nativeFetch(input as RequestInfo, init as RequestInit)
  }
  throw inputError(`fetch: the ${protocol} URL scheme is not supported (http:, https:, data: and blob: are)`)
}
