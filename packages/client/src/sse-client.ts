// SSEClient from @sonic/client: @sonic/sse's client with a sonic HTTPClient as its transport
// (the given one, or the module's default client).
import { SSEClient as BaseSSEClient, type SSECapableClient } from '@sonic/sse'
import type { HTTPClient } from './http-client.js'
import { getDefaultClient } from './shortcuts.js'

/**
 * Server-sent events over sonic.
 * @example
 * const sse = new SSEClient(client)
 * await using conn = await sse.connect('http://127.0.0.1:8080/events')
 * for await (const ev of conn) console.log(ev.event, ev.data)
 */
export class SSEClient extends BaseSSEClient {
  /** @param client an HTTPClient (or any client of @sonic/sse's request shape); default: the shared default client */
  constructor(client?: HTTPClient | SSECapableClient) {
    // HTTPClient.request accepts every option @sonic/sse sends (its option types are only wider).
    super((client ?? getDefaultClient()) as SSECapableClient)
  }
}
