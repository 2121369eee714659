// wsConnect: the opening handshake over any Transport. Connect (through the proxy's tunnel when
// there is one) → an Http1Connection sends the upgrade request → on a 101 that passes §4.1's
// checks, the socket it hands over (and the bytes after the head) become a WebSocketClient.
// One deadline, `timeout`, covers all of it; on any failure the socket is destroyed.
import type { Duplex } from 'node:stream'
import { AbortError, ConnectTimeoutError, WebSocketError } from '@sonic/core'
import { Http1Connection } from '@sonic/http1'
import { TcpTransport, type Transport } from '@sonic/transport'
import { checkResponse, handshakeHeaders, makeKey } from './handshake.js'
import { planConnect, type WsConnectOptions } from './options.js'
import { WebSocketClient } from './websocket.js'

/**
 * Opens a WebSocket (aiohttp's `ws_connect`). Errors: InvalidArgumentError (bad URL or
 * options), the transport's (ConnectError, DnsError, FingerprintMismatchError, ProxyError, …),
 * WebSocketError with `status` when the server does not answer 101 or answers one that breaks
 * RFC 6455 §4.1 (`status` 101), ConnectTimeoutError after `timeout`, AbortError.
 *
 * @example
 * await using ws = await wsConnect('ws://127.0.0.1:8080/chat', { protocols: ['chat'] })
 * await ws.sendStr('hello')
 * for await (const msg of ws) console.log(msg.data)
 */
export async function wsConnect(url: string | URL, options: WsConnectOptions = {}): Promise<WebSocketClient> {
  const plan = planConnect(url, options)
  const userSignal = plan.signal
  if (userSignal !== null && userSignal.aborted) throw new AbortError(undefined, { cause: userSignal.reason })
  const ac = new AbortController()
  let timedOut = false
  const timer =
    plan.timeout === null
      ? null
      : setTimeout(() => {
          timedOut = true
          ac.abort()
        }, plan.timeout)
  const onUserAbort = (): void => ac.abort(userSignal!.reason)
  userSignal?.addEventListener('abort', onUserAbort, { once: true })
  const owned = plan.transport === null ? new TcpTransport() : null
  let socket: Duplex | null = null
  try {
    let transport: Transport = plan.transport ?? owned!
    if (plan.proxy !== null) transport = plan.proxy.tunnel(transport)
    const c = await transport.connect(
      { protocol: plan.https ? 'https:' : 'http:', hostname: plan.hostname, port: plan.port, tls: plan.tls, alpn: ['http/1.1'], timeoutMs: plan.timeout },
      ac.signal,
    )
    socket = c.socket
    const key = makeKey()
    const conn = new Http1Connection(c.socket)
    const res = await conn.upgrade({
      method: 'GET',
      path: plan.path,
      authority: plan.authority,
      scheme: plan.https ? 'https' : 'http',
      headers: [...plan.headers, ...handshakeHeaders(key, plan.protocols, plan.deflate)],
      body: null,
      signal: ac.signal,
      sockRead: null, // the handshake deadline bounds the wait
    })
    if (res.socket === null) {
      await res.body.cancel().catch(() => {})
      conn.destroy()
      throw new WebSocketError(`The server answered ${res.status} ${res.statusText} to the WebSocket handshake, not 101`, { status: res.status })
    }
    socket = res.socket
    const agreed = checkResponse(res.headers, key, plan.protocols, plan.deflate)
    return new WebSocketClient({
      socket: res.socket,
      head: res.head,
      url: plan.href,
      protocol: agreed.protocol,
      extensions: agreed.extensions,
      deflate: agreed.deflate,
      response: { status: res.status, statusText: res.statusText, headers: res.headers },
      autoclose: plan.autoclose,
      autoping: plan.autoping,
      heartbeat: plan.heartbeat,
      maxMsgSize: plan.maxMsgSize,
      // close() never waits without bound, even when the handshake had no limit.
      closeTimeout: plan.timeout ?? 10000,
      signal: userSignal,
    })
  } catch (err) {
    socket?.destroy()
    if (timedOut) throw new ConnectTimeoutError(`The WebSocket handshake with ${plan.authority} took longer than ${plan.timeout} ms`, plan.timeout!, { cause: err })
    throw err
  } finally {
    if (timer !== null) clearTimeout(timer)
    userSignal?.removeEventListener('abort', onUserAbort)
    await owned?.close()
  }
}
