// The options of ResponseParser (a module of its own so that response-parser.ts stays readable).

/** Options of {@link ResponseParser}. */
export interface ResponseParserOptions {
  /**
   * Largest response head accepted, in bytes: the status line, the header lines and the blank
   * line, counted as they arrive (across chunks). Larger heads throw ResponseTooLargeError. The
   * same budget applies to the trailers of a chunked body.
   * @default 65536
   */
  maxHeaderSize?: number
}

export const DEFAULT_MAX_HEADER_SIZE = 64 * 1024
