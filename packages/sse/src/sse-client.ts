import { InvalidArgumentError } from '@sonic/core'
import { FetchClient } from './fetch-client.js'
import type { SSECapableClient } from './sse-capable-client.js'
import { SSEConnection } from './sse-connection.js'
import { normalizeOptions, type SSEConnectOptions } from './sse-options.js'

/**
 * Opens server-sent event streams over any client with sonic's `request` shape: an HTTPClient
 * from @sonic/client, or (by default) a built-in adapter over the global `fetch`.
 *
 * @example
 * const sse = new SSEClient()
 * await using conn = await sse.connect('https://api.example.com/v1/chat', {
 *   json: { prompt: 'Hello', stream: true },   // POST by default when a body is given
 * })
 * for await (const ev of conn) {
 *   if (ev.data === '[DONE]') break
 *   process.stdout.write(JSON.parse(ev.data).token)
 * }
 */
export class SSEClient {
  readonly #client: SSECapableClient

  /** @param client any object with sonic's `request(url, options)` shape. @default a FetchClient over `fetch` */
  constructor(client?: SSECapableClient) {
    if (client !== undefined && (typeof client !== 'object' || client === null || typeof client.request !== 'function')) {
      throw new InvalidArgumentError('SSEClient needs a client with a request(url, options) method')
    }
    this.#client = client ?? new FetchClient()
  }

  /**
   * Sends the request and resolves once the response is validated as an event stream (2xx and
   * `Content-Type: text/event-stream`). A 204 answer resolves to a connection whose iteration is
   * empty. Rejects with SSEResponseError for another status or content type, with the client's
   * error when the request fails, with AbortError when `signal` aborts first.
   */
  async connect(url: string | URL, options?: SSEConnectOptions): Promise<SSEConnection> {
    const config = normalizeOptions(url, options)
    return new SSEConnection(this.#client, config).open()
  }
}
