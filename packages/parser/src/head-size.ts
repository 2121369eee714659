// Counting the bytes of a response head (status line, header lines, blank line) as they arrive,
// across execute() calls, so that an oversized or never-ending head is refused early — with the
// same verdict however the bytes are split. (Trailers are bounded where they begin: chunk-line.ts.)
//
// Positions come from llhttp's span callbacks, which give offsets in the current chunk:
//   - a head's first span fixes where it began: strict llhttp's status line is `HTTP/d.d ddd`,
//     then a space and the reason phrase (the status span, 13 bytes in, even when empty) or CRLF
//     (then the first header name is 14 bytes in); so the count never depends on where the
//     previous message ended;
//   - while a head is incomplete at the end of an execute(), all its bytes in that chunk count
//     (offsets are those of the chunk given to ResponseParser.execute(), however many llhttp runs
//     it takes);
//   - within a chunk, the head has grown at least to the end of the last status/header span;
//   - with lenient flags off, a complete head ends exactly CRLF CRLF after its last span, except
//     after an empty header value, which llhttp reports (length 0) after its CRLF: CRLF then.
// So the count is exact for heads with a reason phrase or a header (a bare "HTTP/1.1 204\r\n\r\n"
// has no span, which only matters for limits below its 17 bytes).

const LF = 10

export class HeadSize {
  readonly limit: number
  /** Head bytes in earlier chunks. */
  #before = 0
  /** Where the head began, relative to the current chunk (< 0: in an earlier one). */
  #start = 0
  /** #start is exact (a span of the head has been seen), not an estimate. */
  #anchored = false
  /** Head size up to the end of the last span seen. */
  #mark = 0
  /** End of the last span (head, body or trailer) in the current chunk. */
  #lastEnd = 0
  /** The last head span is an empty value (reported after its CRLF). */
  #emptyValue = false
  /** The previous chunk ended with LF (for an empty value reported at offset 0). */
  #afterLf = false
  /** A status or header span ended in the current chunk (lastEnd is one). */
  spanInChunk = false

  constructor(limit: number) {
    this.limit = limit
  }

  /** A new ResponseParser.execute() begins: offsets restart at 0. */
  chunk(): void {
    this.#lastEnd = 0
    this.spanInChunk = false
    this.#start = 0
  }

  /** A message begins (an estimate of where, until its first span). */
  begin(): void {
    this.#before = 0
    this.#start = this.#lastEnd
    this.#anchored = false
    this.#mark = 0
    this.#emptyValue = false
  }

  /** Head bytes that may still come from offset `at` of the chunk before the head in progress is over the limit. */
  roomAt(at: number): number {
    const size = this.#before + at - this.#start
    // Before its first span the start is an estimate (not after it), and the head has at most 14 bytes.
    return this.limit - (this.#anchored || size < 14 ? size : 14)
  }

  /** The head begins at `at` (llhttp was stopped at its first byte). */
  startAt(at: number): void {
    this.#before = 0
    this.#start = at
  }

  /** End of the last span in the current chunk (0 when none yet). */
  get lastEnd(): number {
    return this.#lastEnd
  }

  /** The status span (reason phrase) [start, end); false when the head is now over the limit. */
  status(start: number, end: number): boolean {
    if (!this.#anchored) this.#anchor(start - 13)
    return this.#span(end, false)
  }

  /** A header name span; false when the head is now over the limit. */
  field(start: number, end: number): boolean {
    if (!this.#anchored) this.#anchor(start - 14)
    return this.#span(end, false)
  }

  /** A header value span of `chunk`; false when the head is now over the limit. */
  value(chunk: Uint8Array, start: number, end: number): boolean {
    return this.#span(end, this.#isEmptyValue(chunk, start, end))
  }

  /** A body span ends at `end`. */
  body(end: number): void {
    this.#lastEnd = end
  }

  /** A trailer span ends at `end` (trailers are not counted here). */
  trailer(end: number): void {
    this.#lastEnd = end
  }

  /** Where the complete head ends in `chunk` (it ended in this chunk). */
  headEnd(chunk: Uint8Array): number {
    if (this.spanInChunk) return this.#lastEnd + (this.#emptyValue ? 2 : 4)
    // The last span was in an earlier chunk: this one begins with the rest of the head's end.
    let i = 0
    while (i < 4 && i < chunk.length && (chunk[i] === 13 || chunk[i] === LF)) i++
    return i
  }

  /** The head is complete; false when it is over the limit. */
  complete(): boolean {
    return Math.max(this.#mark + (this.#emptyValue ? 2 : 4), this.#before) <= this.limit
  }

  /**
   * ResponseParser.execute() returns after `consumed` bytes of `chunk` with the head incomplete;
   * false when over the limit. Before its first span a head has at most 14 bytes: not checked.
   */
  pending(chunk: Uint8Array, consumed: number): boolean {
    this.#before += consumed - this.#start
    this.#afterLf = consumed > 0 && chunk[consumed - 1] === LF
    return !this.#anchored || this.#before <= this.limit
  }

  reset(): void {
    this.spanInChunk = false
    this.#before = 0
    this.#start = 0
    this.#anchored = false
    this.#mark = 0
    this.#lastEnd = 0
    this.#emptyValue = false
    this.#afterLf = false
  }

  #anchor(start: number): void {
    this.#anchored = true
    this.#before = 0
    this.#start = start
  }

  #span(end: number, emptyValue: boolean): boolean {
    this.#lastEnd = end
    this.spanInChunk = true
    this.#emptyValue = emptyValue
    this.#mark = this.#before + end - this.#start
    return this.#mark <= this.limit
  }

  /** llhttp reports an empty value as a span of length 0 right after its line's LF. */
  #isEmptyValue(chunk: Uint8Array, start: number, end: number): boolean {
    return start === end && (start > 0 ? chunk[start - 1] === LF : this.#afterLf)
  }
}
