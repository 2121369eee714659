// Counting the bytes of a response head (status line, header lines, blank line) as they arrive,
// across execute() calls, so that an oversized or never-ending head is refused early.
//
// Positions come from llhttp's span callbacks, which give offsets in the current chunk:
//   - while the head is incomplete at the end of an execute(), all its bytes in that chunk count;
//   - within a chunk, the head has grown at least to the end of the last status/header span;
//   - with lenient flags off, a complete head ends exactly CRLF CRLF (4 bytes) after its last span.
// So the count is exact for heads with a reason phrase or a header (the status line of a bare
// "HTTP/1.1 204\r\n\r\n" is not seen, which only matters for heads far below any limit).

export class HeadSize {
  readonly limit: number
  /** Head bytes in earlier chunks. */
  #before = 0
  /** Where the head began in the current chunk (0 when it began in an earlier one). */
  #start = 0
  /** Head size up to the end of the last span seen. */
  #mark = 0
  /** End of the last span (head, body or trailer) in the current chunk. */
  #lastEnd = 0
  #trailers = 0
  /** A status or header span ended in the current chunk (lastEnd is one). */
  spanInChunk = false

  constructor(limit: number) {
    this.limit = limit
  }

  /** A new execute() begins: offsets restart at 0. */
  chunk(): void {
    this.#lastEnd = 0
    this.spanInChunk = false
    this.#start = 0
  }

  /** A message begins: its head starts after the last span of the previous message. */
  begin(): void {
    this.#before = 0
    this.#start = this.#lastEnd
    this.#mark = 0
    this.#trailers = 0
  }

  /** Head bytes that may still arrive before the head is over the limit (a head in progress). */
  room(): number {
    return this.limit - this.#before
  }

  /** End of the last span in the current chunk (0 when none yet). */
  get lastEnd(): number {
    return this.#lastEnd
  }

  /** A status or header span ends at `end`; false when the head is now over the limit. */
  span(end: number): boolean {
    this.#lastEnd = end
    this.spanInChunk = true
    this.#mark = this.#before + end - this.#start
    return this.#mark <= this.limit
  }

  /** A body span ends at `end`. */
  body(end: number): void {
    this.#lastEnd = end
  }

  /** A trailer name or value (with its line break); false when the trailers are over the limit. */
  trailer(end: number, length: number): boolean {
    this.#lastEnd = end
    this.#trailers += length + 2
    return this.#trailers <= this.limit
  }

  /** The head is complete; false when it is over the limit. */
  complete(): boolean {
    return Math.max(this.#mark + 4, this.#before) <= this.limit
  }

  /** execute() returns with the head incomplete after `consumed` bytes; false when over the limit. */
  pending(consumed: number): boolean {
    this.#before += consumed - this.#start
    return this.#before <= this.limit
  }

  reset(): void {
    this.spanInChunk = false
    this.#before = 0
    this.#start = 0
    this.#mark = 0
    this.#lastEnd = 0
    this.#trailers = 0
  }
}
