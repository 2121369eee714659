// The chunk-size lines of a chunked body (size, extensions and CRLF), bounded to MAX_CHUNK_LINE
// bytes as Node since CVE-2024-22019, and where the trailer section begins (after the line of
// size 0), for the trailers' limit. llhttp reports nothing inside such a line, so the glue finds
// where each one begins (after the head, after each chunk's data) and looks for its LF with one
// native indexOf per chunk.
//
// To fail the same way however the bytes are split, a limit is never judged ahead of llhttp:
// when a line (or the trailers) may pass its limit in the bytes at hand, llhttp is stopped before
// it (beginAt() returns true), then run only up to the limit (overAt(), trailersAt): an invalid
// byte llhttp meets first is its error, as when the bytes arrive one at a time.

/** Largest chunk-size line (size, extensions and CRLF). */
export const MAX_CHUNK_LINE = 16 * 1024

/** Buffer's native indexOf (works on any Uint8Array). */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: number, from: number) => number
const LF = 10

/** The size digits of the open line: only zeros so far / the size is 0 / it is not (or invalid). */
const ZEROS = 0
const ZERO = 1
const NONZERO = 2

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66)
}

export class ChunkLine {
  /** A line is open: begun (or about to, after the rest of a CRLF), its LF not seen yet. */
  open = false
  /**
   * Where the trailer section begins (after the LF of the line of size 0), relative to the
   * current chunk (< 0: in an earlier one); NaN while unknown.
   */
  trailersAt = Number.NaN
  /** Where the open line begins, relative to the current chunk (< 0: in an earlier one). */
  #start = 0
  #digits = ZEROS
  #zeros = 0

  /**
   * A line begins at `from` in `chunk` (or in a later chunk, when past its end). True when llhttp
   * must stop now (before the line): the line passes its limit within this chunk, or it is the
   * last one and more than `trailerLimit` bytes follow it. Then go on with overAt()/trailersAt.
   */
  beginAt(chunk: Uint8Array, from: number, trailerLimit: number): boolean {
    this.#start = from
    this.#digits = ZEROS
    this.#zeros = 0
    this.trailersAt = Number.NaN
    this.open = true
    if (from >= chunk.length) return false
    const lf = this.#find(chunk, from)
    if (lf >= 0 && lf < from + MAX_CHUNK_LINE) return this.#close(lf) && chunk.length - (lf + 1) > trailerLimit
    return chunk.length - from > MAX_CHUNK_LINE
  }

  /**
   * llhttp is to run over `chunk` from `begin` with this line open: -1 when it may (the line ends
   * within its limit, or the chunk does), else the offset of the first byte past the limit — run
   * llhttp only up to there, then fail.
   */
  overAt(chunk: Uint8Array, begin: number): number {
    const start = this.#start
    const limitEnd = start + MAX_CHUNK_LINE
    const from = start > begin ? start : begin
    if (from >= chunk.length) return -1
    const lf = this.#find(chunk, from)
    if (lf >= 0 && lf < limitEnd) {
      this.#close(lf)
      return -1
    }
    return chunk.length > limitEnd ? limitEnd : -1
  }

  /** The next chunk begins after `consumed` bytes of this one. */
  shift(consumed: number): void {
    this.#start -= consumed
    this.trailersAt -= consumed
  }

  reset(): void {
    this.open = false
    this.trailersAt = Number.NaN
    this.#start = 0
    this.#digits = ZEROS
    this.#zeros = 0
  }

  /** The line's LF at or after `from` (-1: not in this chunk); reads its size digits on the way. */
  #find(chunk: Uint8Array, from: number): number {
    const lf = indexOf.call(chunk, LF, from)
    const end = lf < 0 ? chunk.length : lf
    for (let i = from; this.#digits === ZEROS && i < end; i++) {
      const c = chunk[i]!
      if (c === 0x30) this.#zeros++
      else this.#digits = isHex(c) || this.#zeros === 0 ? NONZERO : ZERO
    }
    return lf
  }

  /** The open line ends with the LF at `lf`; true when it was the last one (size 0). */
  #close(lf: number): boolean {
    this.open = false
    // A line of only zeros ends there too ("0\r\n"): its CR is not a hex digit.
    if (this.#digits === ZEROS && this.#zeros > 0) this.#digits = ZERO
    if (this.#digits !== ZERO) return false
    this.trailersAt = lf + 1
    return true
  }
}
