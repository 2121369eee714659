// HTTPClient.wsConnect: @sonic/websocket's wsConnect with what the client already knows — its
// transport (the connector's TcpTransport: DNS cache, TLS sessions; or a UnixTransport), its
// proxy (resolved per URL as for requests), its default headers, verifySsl and cookie jar (the
// jar's cookies go with the handshake, the 101's Set-Cookie goes into the jar).
import { HttpHeaders, InvalidArgumentError, type Dispatcher } from '@sonic/core'
import { wsConnect, type WebSocketClient, type WsConnectOptions } from '@sonic/websocket'
import type { CookieJar } from 'tough-cookie'
import { Agent } from './agent.js'
import type { ClientDefaults } from './normalize-request.js'
import { proxyForOf, type ProxyInit } from './proxy-option.js'

/** HTTPClient.wsConnect's options: @sonic/websocket's, with `proxy` as the client takes it. */
export interface ClientWsConnectOptions extends Omit<WsConnectOptions, 'proxy'> {
  /**
   * This connection's proxy: an HttpProxy or SocksProxy, a proxy URL, 'env', a function of the
   * URL, or null for a direct connection.
   * @default the client's `proxy`
   */
  proxy?: ProxyInit
}

/** What of the client wsConnect uses. */
export interface WsClientContext {
  readonly dispatcher: Dispatcher
  readonly cookieJar: CookieJar | null
  readonly defaults: ClientDefaults
}

/** The http(s) form of a ws(s) URL: what cookies and proxy rules are matched against. */
function httpHref(u: URL): string {
  if (u.protocol === 'ws:') return `http:${u.href.slice(3)}`
  if (u.protocol === 'wss:') return `https:${u.href.slice(4)}`
  return u.href
}

export async function clientWsConnect(ctx: WsClientContext, url: string | URL, options: ClientWsConnectOptions = {}): Promise<WebSocketClient> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('wsConnect options must be an object')
  let u: URL
  try {
    u = ctx.defaults.baseUrl === null ? new URL(String(url)) : new URL(String(url), ctx.defaults.baseUrl)
  } catch (cause) {
    throw new InvalidArgumentError(`Invalid WebSocket URL: ${JSON.stringify(String(url))}`, { cause })
  }
  const href = httpHref(u)
  const proxyFor = options.proxy !== undefined ? proxyForOf(options.proxy, ctx.defaults.proxies) : ctx.defaults.policy.proxyFor
  const proxy = proxyFor === null ? null : proxyFor(href)

  // The client's default headers (not its accept-encoding: a WebSocket has no body to decode), then this call's.
  const headers = new HttpHeaders()
  const d = ctx.defaults.headers
  for (let i = 0; i < d.length; i += 2) if (d[i]!.toLowerCase() !== 'accept-encoding') headers.append(d[i]!, d[i + 1]!)
  if (options.headers !== undefined) for (const [k, v] of new HttpHeaders(options.headers)) headers.set(k, v)
  const jar = ctx.cookieJar
  if (jar !== null) {
    const cookie = await jar.getCookieString(href)
    if (cookie !== '') {
      const own = headers.get('cookie')
      headers.set('cookie', own === null ? cookie : `${own}; ${cookie}`)
    }
  }

  const transport = options.transport ?? (ctx.dispatcher instanceof Agent ? ctx.dispatcher.transport : undefined)
  const ws = await wsConnect(u, {
    ...options,
    headers,
    proxy,
    transport,
    verify: options.verify ?? ctx.defaults.verifySsl,
  })
  if (jar !== null) {
    for (const line of ws.response.headers.getSetCookie()) await jar.setCookie(line, href, { ignoreError: true })
  }
  return ws
}
