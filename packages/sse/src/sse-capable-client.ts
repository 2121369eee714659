// The one thing SSEClient needs from an HTTP client: sonic's `request` shape. @sonic/client's
// HTTPClient has it; so does the built-in adapter over `fetch`; so can any small wrapper.

/** Request options SSEClient passes to the client (a subset of sonic's request options). */
export interface SSERequestOptions {
  method?: string
  headers?: Record<string, string>
  params?: unknown
  data?: unknown
  json?: unknown
  timeouts?: unknown
  follow?: boolean
  http2?: boolean
  signal?: AbortSignal
}

/** The response shape SSEClient reads. */
export interface SSECapableResponse {
  status: number
  headers: { get(name: string): string | null }
  /** The body, chunk by chunk, pulled (backpressured). Ends cleanly only when the body is complete. */
  readChunks(): AsyncIterable<Uint8Array>
  /** Discards the rest of the body and frees the connection. */
  release(): Promise<void>
}

/** Any client with sonic's request shape, e.g. `new HTTPClient()` from @sonic/client. */
export interface SSECapableClient {
  request(url: string, options: SSERequestOptions): Promise<SSECapableResponse>
}
