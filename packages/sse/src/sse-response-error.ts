import { SonicError, type SonicErrorOptions } from '@sonic/core'

/**
 * The server's answer to an SSE request cannot be a stream: a status other than 2xx (204 aside,
 * which means "stop"), or a content type other than `text/event-stream`. Never retried.
 */
export class SSEResponseError extends SonicError {
  static override readonly code = 'SONIC_SSE_RESPONSE'
  /** The HTTP status of the response. */
  readonly status: number
  /** The response's Content-Type header, or null when it had none. */
  readonly contentType: string | null

  constructor(status: number, contentType: string | null, message?: string, options?: SonicErrorOptions) {
    super(
      message ??
        (status < 200 || status > 299
          ? `SSE request failed with HTTP status ${status}`
          : `SSE response has content type ${contentType === null ? '(none)' : JSON.stringify(contentType)}, expected text/event-stream`),
      options,
    )
    this.status = status
    this.contentType = contentType
  }
}
