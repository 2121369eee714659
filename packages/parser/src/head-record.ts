// The status text and header lines of one response head, kept as raw byte ranges until someone
// asks for a string. A range points either into the chunk given to execute() in which the head
// completed, or into a small scratch buffer that holds the pieces of a head which arrived over
// several execute() calls (copied when an execute() ends with the head still incomplete, since the
// caller may reuse its buffer). Strings are decoded as latin1 only on demand.

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string
/** Buffer's native latin1 decoder; it works on any Uint8Array. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Latin1Slice }).latin1Slice

const NONE = 0
const STATUS = 1
const FIELD = 2
const VALUE = 3

const SP = 0x20
const HTAB = 0x09
const EMPTY = new Uint8Array(0)

export class HeadRecord {
  /** Per element [start, end, inScratch]: element 0 is the status text, 2i+1 / 2i+2 header i's name / value. */
  #spans = new Int32Array(3 * 64)
  #headers = 0
  #last = NONE
  #chunk: Uint8Array = EMPTY
  #scratch: Uint8Array = EMPTY
  #scratchLength = 0
  /** Elements below this index are in scratch already (detach() starts here). */
  #detached = 0
  /**
   * Decoding cache: the chunk bytes [#textStart, …) and the scratch bytes as latin1 strings, made
   * by one native call each the first time a string is asked for; every header string is then a
   * substring of them (cheaper than one native decode per name and value).
   */
  #chunkText: string | null = null
  #textStart = 0
  /** The chunk range the spans cover: callbacks arrive in stream order, so the first set() gives the start. */
  #chunkLow = -1
  #chunkHigh = 0
  #scratchText: string | null = null

  /** Forgets the previous head (a new message begins). */
  clear(): void {
    this.#spans[0] = 0
    this.#spans[1] = 0
    this.#spans[2] = 1
    this.#headers = 0
    this.#last = NONE
    this.#chunk = EMPTY
    this.#scratchLength = 0
    this.#detached = 0
    this.#chunkText = null
    this.#scratchText = null
    this.#chunkLow = -1
    this.#chunkHigh = 0
  }

  get headerCount(): number {
    return this.#headers
  }

  status(chunk: Uint8Array, start: number, end: number): void {
    if (this.#last === STATUS) this.#append(0, chunk, start, end)
    else this.#set(0, chunk, start, end)
    this.#last = STATUS
  }

  field(chunk: Uint8Array, start: number, end: number): void {
    if (this.#last === FIELD) {
      this.#append(2 * this.#headers - 1, chunk, start, end)
    } else {
      const element = 2 * this.#headers + 1
      if (3 * (element + 2) > this.#spans.length) {
        const grown = new Int32Array(this.#spans.length * 2)
        grown.set(this.#spans)
        this.#spans = grown
      }
      this.#headers++
      this.#set(element, chunk, start, end)
      // A value not (yet) reported is empty.
      this.#set(element + 1, chunk, start, start)
    }
    this.#last = FIELD
  }

  value(chunk: Uint8Array, start: number, end: number): void {
    if (this.#headers === 0) return
    const element = 2 * this.#headers
    if (this.#last === VALUE) this.#append(element, chunk, start, end)
    else this.#set(element, chunk, start, end)
    this.#last = VALUE
  }

  /**
   * Called when execute() returns with the head incomplete: copies the ranges that point into
   * the caller's chunk into scratch, so nothing refers to that chunk any more.
   */
  detach(): void {
    const spans = this.#spans
    const elements = 2 * this.#headers + 1
    for (let e = this.#detached; e < elements; e++) {
      const i = 3 * e
      if (spans[i + 2] === 1) continue
      const start = spans[i]!
      const end = spans[i + 1]!
      const at = this.#reserve(end - start)
      this.#scratch.set(this.#chunk.subarray(start, end), at)
      spans[i] = at
      spans[i + 1] = at + end - start
      spans[i + 2] = 1
    }
    this.#detached = elements
    this.#chunk = EMPTY
    this.#chunkText = null
    this.#scratchText = null
    this.#chunkLow = -1
    this.#chunkHigh = 0
  }

  statusText(): string {
    return this.#decode(0, false)
  }

  /** [name, value, name, value, …] decoded as latin1, values without trailing whitespace. */
  flat(): string[] {
    const count = 2 * this.#headers
    const out = new Array<string>(count)
    if (count === 0) return out
    if (this.#chunkText === null) this.#decodeChunk()
    const text = this.#chunkText!
    const base = this.#textStart
    const spans = this.#spans
    const chunk = this.#chunk
    for (let e = 1; e <= count; e++) {
      const i = 3 * e
      if (spans[i + 2] === 1) {
        out[e - 1] = this.#decode(e, (e & 1) === 0)
        continue
      }
      const start = spans[i]!
      let end = spans[i + 1]!
      // Values lose trailing whitespace (llhttp keeps it in the span).
      if ((e & 1) === 0) {
        while (end > start && (chunk[end - 1] === SP || chunk[end - 1] === HTAB)) end--
      }
      out[e - 1] = text.substring(start - base, end - base)
    }
    return out
  }

  /** The value of the first header named `lowerName` (compared case-insensitively), or null. */
  find(lowerName: string): string | null {
    const length = lowerName.length
    const spans = this.#spans
    for (let h = 0; h < this.#headers; h++) {
      const i = 3 * (2 * h + 1)
      const start = spans[i]!
      if (spans[i + 1]! - start !== length) continue
      const source = spans[i + 2] === 1 ? this.#scratch : this.#chunk
      let j = 0
      for (; j < length; j++) {
        let c = source[start + j]!
        if (c >= 0x41 && c <= 0x5a) c |= 0x20
        if (c !== lowerName.charCodeAt(j)) break
      }
      if (j === length) return this.#decode(2 * h + 2, true)
    }
    return null
  }

  #decode(element: number, trim: boolean): string {
    const i = 3 * element
    const inScratch = this.#spans[i + 2] === 1
    const source = inScratch ? this.#scratch : this.#chunk
    const start = this.#spans[i]!
    let end = this.#spans[i + 1]!
    if (trim) {
      while (end > start && (source[end - 1] === SP || source[end - 1] === HTAB)) end--
    }
    if (start === end) return ''
    if (inScratch) {
      const text = (this.#scratchText ??= latin1Slice.call(this.#scratch, 0, this.#scratchLength))
      return text.substring(start, end)
    }
    if (this.#chunkText === null) this.#decodeChunk()
    return this.#chunkText!.substring(start - this.#textStart, end - this.#textStart)
  }

  /** Decodes the part of the chunk that the recorded spans cover, in one go. */
  #decodeChunk(): void {
    const low = this.#chunkLow < 0 ? 0 : this.#chunkLow
    const high = Math.max(low, this.#chunkHigh)
    this.#textStart = low
    this.#chunkText = latin1Slice.call(this.#chunk, low, high)
  }

  #set(element: number, chunk: Uint8Array, start: number, end: number): void {
    const i = 3 * element
    this.#spans[i] = start
    this.#spans[i + 1] = end
    this.#spans[i + 2] = 0
    this.#chunk = chunk
    this.#chunkText = null
    if (this.#chunkLow < 0) this.#chunkLow = start
    if (end > this.#chunkHigh) this.#chunkHigh = end
    if (element < this.#detached) this.#detached = element
  }

  /**
   * The next piece of the last element, from a later execute(): the earlier pieces were detached
   * into scratch, where this element is the last thing written, so the piece is appended there.
   */
  #append(element: number, chunk: Uint8Array, start: number, end: number): void {
    const i = 3 * element
    if (this.#spans[i + 2] === 0) {
      // Same chunk (cannot happen with llhttp's span flushing, kept for safety): detach first.
      this.detach()
    }
    const at = this.#reserve(end - start)
    this.#scratch.set(chunk.subarray(start, end), at)
    this.#spans[i + 1] = at + end - start
    this.#scratchText = null
  }

  /** Makes room for `length` bytes at the end of scratch; returns where they go. */
  #reserve(length: number): number {
    const at = this.#scratchLength
    const needed = at + length
    if (needed > this.#scratch.length) {
      const grown = new Uint8Array(Math.max(256, 2 * this.#scratch.length, needed))
      grown.set(this.#scratch.subarray(0, at))
      this.#scratch = grown
    }
    this.#scratchLength = needed
    return at
  }
}
