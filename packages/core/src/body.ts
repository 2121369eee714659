// Request and response body contracts shared by the protocol layers, multipart and the client.
import type { HttpHeaders } from './http-headers.js'

/** Progress of a transfer: bytes moved so far and the total when it is known. */
export interface Progress {
  loaded: number
  total?: number
}

/** A body produced piece by piece (files, forms, iterables). */
export interface StreamBody {
  /** Exact byte length when known (sent as Content-Length); null → chunked. */
  readonly length: number | null
  /** True when stream() may be called again (e.g. to replay after a 307 redirect). */
  readonly replayable: boolean
  /** The bytes, in order. Strings are sent as UTF-8. */
  stream(): AsyncIterable<Uint8Array | string>
}

/** A request body: none, fixed bytes, or a stream. */
export type RequestBody = null | Uint8Array | StreamBody

/** True when `body` is a StreamBody. */
export function isStreamBody(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && typeof (body as StreamBody).stream === 'function' && 'length' in body
}

/**
 * Pull-based reader of a response body. Backpressure comes from pulling: the connection reads
 * from the socket only while the consumer keeps asking.
 */
export interface BodyReader {
  /** Declared Content-Length, or null. */
  readonly length: number | null
  /** The next chunk, or null at the end. Rejects with a SonicError on failure. */
  read(): Promise<Uint8Array | null>
  /**
   * Discards the rest of the body. The connection is kept when the rest is short enough to drain
   * cheaply, else destroyed. Resolves once the connection is released either way.
   */
  cancel(reason?: unknown): Promise<void>
  /** The whole rest of the body in one buffer (then the reader is at its end). */
  readAll(): Promise<Uint8Array>
  /**
   * The trailer fields that followed the body (HTTP/1.1 chunked trailers, HTTP/2 trailers), set
   * once the body has been read to its end; null when there were none or it is not read yet.
   * Optional: a reader that cannot have trailers leaves it out.
   */
  readonly trailers?: HttpHeaders | null
}
