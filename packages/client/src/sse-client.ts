// SSEClient from @sonic/client: @sonic/sse's client with a sonic HTTPClient as its default transport.
import { SSEClient as BaseSSEClient, type SSECapableClient } from '@sonic/sse'
import { getDefaultClient } from './shortcuts.js'

/**
 * Server-sent events over sonic.
 * @example
 * const sse = new SSEClient(client)
 * await using conn = await sse.connect('http://127.0.0.1:8080/events')
 * for await (const ev of conn) console.log(ev.event, ev.data)
 */
export class SSEClient extends BaseSSEClient {
  constructor(client?: SSECapableClient) {
    super(client ?? (getDefaultClient() as unknown as SSECapableClient))
  }
}
