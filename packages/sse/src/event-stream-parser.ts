// The WHATWG HTML "event stream interpretation", done on bytes. Lines are found by scanning the
// chunk for LF and CR with Uint8Array#indexOf (native), remembering the next position of each so
// a chunk is scanned once. Complete lines are parsed in place; only the tail of a chunk that has
// no line end yet is copied, into one reusable buffer. Only the values that are kept (data, event,
// id, comments when asked for) are decoded from UTF-8, one native call each. Because every byte
// the parser looks at (LF, CR, ':', ' ') is ASCII, decoding each kept range on its own gives the
// same text (U+FFFD for invalid sequences included) as decoding the whole stream at once.
import { decodable, decodeUtf8 } from './utf8.js'

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field, or `'message'` when the event had none (or an empty one). */
  event: string
  /** The `data:` lines of the event joined with `\n`. */
  data: string
  /** The last event ID at dispatch time: the latest `id:` seen in this or an earlier event, or `''`. */
  id: string
  /** The `retry:` value (ms) when this event's block carried a valid one. */
  retry?: number
}

/** Options of {@link EventStreamParser}. */
export interface EventStreamParserOptions {
  /**
   * Called with the reconnection time (ms) each time a valid `retry:` field is parsed
   * (ASCII digits only; other values are ignored, as the standard requires).
   * @default undefined
   */
  onRetry?: (ms: number) => void
  /**
   * Called for each comment line (`:` first) with the text after the colon, one leading space
   * removed. Comments are not decoded at all when this is not set.
   * @default undefined
   */
  onComment?: (text: string) => void
  /**
   * The last event ID to start from (e.g. one stored from an earlier connection).
   * @default ''
   */
  lastEventId?: string
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
const BOM0 = 0xef
const BOM1 = 0xbb
const BOM2 = 0xbf
/** Size the line buffer starts with and returns to after holding an unusually long line. */
const BUF_MIN = 1024
const BUF_KEEP = 64 * 1024

/**
 * Incremental parser of a `text/event-stream` byte stream (WHATWG HTML §9.2.6).
 *
 * Feed it chunks of any size, split anywhere (inside a line, a CRLF, a UTF-8 character or the
 * leading BOM); it calls `onEvent` for each complete event, in order, synchronously from `feed`.
 *
 * @example
 * const parser = new EventStreamParser((ev) => console.log(ev.event, ev.data), {
 *   onRetry: (ms) => console.log('reconnect after', ms),
 * })
 * parser.feed(new TextEncoder().encode('event: greet\ndata: hello\n\n'))
 * parser.end()
 */
export class EventStreamParser {
  readonly #onEvent: (ev: ServerSentEvent) => void
  readonly #onRetry: ((ms: number) => void) | undefined
  readonly #onComment: ((text: string) => void) | undefined

  /** Bytes of the leading BOM matched so far; -1 once the stream start is past. */
  #bom = 0
  /** The previous chunk ended in a CR: a LF opening the next chunk belongs to it. */
  #cr = false
  /** The start of a line whose end has not arrived yet. */
  #buf = new Uint8Array(BUF_MIN)
  #bufLen = 0

  #data = ''
  #hasData = false
  #type = ''
  #retry: number | undefined = undefined
  /** The standard's "last event ID buffer" (set by `id:`, committed at the blank line). */
  #idBuffer: string
  /** The standard's "last event ID string" (committed). */
  #lastEventId: string

  constructor(onEvent: (ev: ServerSentEvent) => void, options: EventStreamParserOptions = {}) {
    if (typeof onEvent !== 'function') throw new TypeError('EventStreamParser: onEvent must be a function')
    this.#onEvent = onEvent
    this.#onRetry = options.onRetry
    this.#onComment = options.onComment
    this.#lastEventId = this.#idBuffer = options.lastEventId ?? ''
  }

  /** The last event ID committed by a dispatched (or empty) event; sent as `Last-Event-ID` on reconnect. */
  get lastEventId(): string {
    return this.#lastEventId
  }

  /** Parses the next chunk of the stream; calls `onEvent` for every event it completes. */
  feed(chunk: Uint8Array): void {
    const n = chunk.length
    if (n === 0) return
    let pos = 0
    if (this.#bom >= 0) {
      pos = this.#skipBom(chunk)
      if (pos === n) return
    }
    if (this.#cr) {
      this.#cr = false
      if (chunk[pos] === LF && ++pos === n) return
    }
    const src = decodable(chunk)
    let lf = chunk.indexOf(LF, pos)
    if (lf === -1) lf = n
    let cr = chunk.indexOf(CR, pos)
    if (cr === -1) cr = n

    if (this.#bufLen > 0) {
      // Finish the line that started in an earlier chunk.
      const eol = lf < cr ? lf : cr
      this.#append(chunk, pos, eol)
      if (eol === n) return
      const buf = this.#buf
      const len = this.#bufLen
      this.#bufLen = 0
      if (buf.length > BUF_KEEP) this.#buf = new Uint8Array(BUF_MIN)
      this.#line(decodable(buf), 0, len)
      pos = this.#afterEol(chunk, eol, cr)
      if (pos >= n) return
      if (cr < pos) {
        cr = chunk.indexOf(CR, pos)
        if (cr === -1) cr = n
      }
      if (lf < pos) {
        lf = chunk.indexOf(LF, pos)
        if (lf === -1) lf = n
      }
    }

    for (;;) {
      if (lf < cr) {
        this.#line(src, pos, lf)
        pos = lf + 1
        // The common "\n\n" that ends an event: dispatch without another search.
        if (chunk[pos] === LF) {
          this.#dispatch()
          pos++
        }
        lf = chunk.indexOf(LF, pos)
        if (lf === -1) lf = n
      } else if (cr < n) {
        this.#line(src, pos, cr)
        pos = this.#afterEol(chunk, cr, cr)
        if (pos >= n) return
        cr = chunk.indexOf(CR, pos)
        if (cr === -1) cr = n
        if (lf < pos) {
          lf = chunk.indexOf(LF, pos)
          if (lf === -1) lf = n
        }
      } else {
        break
      }
    }
    if (pos < n) this.#append(chunk, pos, n)
  }

  /**
   * The stream ended. An event without its closing blank line, and a last line without its line
   * end, are discarded, as the standard requires. The parser is then ready for a new stream
   * (keeping `lastEventId`), exactly as after `reset()`.
   */
  end(): void {
    this.reset()
  }

  /**
   * Forgets the partial line and the partial event (data, type, retry, an uncommitted `id:`) and
   * expects a new stream (a leading BOM is stripped again). Keeps `lastEventId`: use it before
   * parsing the response of a reconnect.
   */
  reset(): void {
    this.#bom = 0
    this.#cr = false
    this.#bufLen = 0
    if (this.#buf.length > BUF_KEEP) this.#buf = new Uint8Array(BUF_MIN)
    this.#data = ''
    this.#hasData = false
    this.#type = ''
    this.#retry = undefined
    this.#idBuffer = this.#lastEventId
  }

  /** Position after the line end at `eol` (CR, LF or CRLF); records a CR that ends the chunk. */
  #afterEol(chunk: Uint8Array, eol: number, cr: number): number {
    const next = eol + 1
    if (eol !== cr) return next
    if (next === chunk.length) {
      this.#cr = true
      return next
    }
    return chunk[next] === LF ? next + 1 : next
  }

  /** Consumes the BOM bytes at the start of the stream; returns where the content starts. */
  #skipBom(chunk: Uint8Array): number {
    const n = chunk.length
    let i = 0
    while (i < n) {
      const matched = this.#bom
      const want = matched === 0 ? BOM0 : matched === 1 ? BOM1 : BOM2
      if (chunk[i] !== want) {
        // Not a BOM: the bytes held back are ordinary content (they decode to U+FFFD later).
        this.#bom = -1
        if (matched > 0) this.#append(BOM_BYTES, 0, matched)
        return i
      }
      i++
      if (matched === 2) {
        this.#bom = -1
        return i
      }
      this.#bom = matched + 1
    }
    return n
  }

  #append(chunk: Uint8Array, start: number, end: number): void {
    const add = end - start
    if (add === 0) return
    const need = this.#bufLen + add
    if (need > this.#buf.length) {
      let size = this.#buf.length * 2
      while (size < need) size *= 2
      const grown = new Uint8Array(size)
      grown.set(this.#buf.subarray(0, this.#bufLen))
      this.#buf = grown
    }
    this.#buf.set(chunk.subarray(start, end), this.#bufLen)
    this.#bufLen = need
  }

  /** Interprets one line, src[start, end), without its line end. */
  #line(src: Uint8Array, start: number, end: number): void {
    if (start === end) {
      this.#dispatch()
      return
    }
    if (src[start] === COLON) {
      const onComment = this.#onComment
      if (onComment !== undefined) {
        let s = start + 1
        if (s < end && src[s] === SPACE) s++
        onComment(s === end ? '' : decodeUtf8(src, s, end))
      }
      return
    }
    let colon = start + 1
    while (colon < end && src[colon] !== COLON) colon++
    let value = colon + 1
    if (value >= end) value = end
    else if (src[value] === SPACE) value++
    switch (colon - start) {
      case 4: // data
        if (src[start] === 0x64 && src[start + 1] === 0x61 && src[start + 2] === 0x74 && src[start + 3] === 0x61) {
          const text = value === end ? '' : decodeUtf8(src, value, end)
          if (this.#hasData) {
            this.#data = this.#data + '\n' + text
          } else {
            this.#data = text
            this.#hasData = true
          }
        }
        return
      case 5:
        if (src[start] === 0x65) {
          // event
          if (src[start + 1] === 0x76 && src[start + 2] === 0x65 && src[start + 3] === 0x6e && src[start + 4] === 0x74) {
            this.#type = value === end ? '' : decodeUtf8(src, value, end)
          }
        } else if (src[start] === 0x72 && src[start + 1] === 0x65 && src[start + 2] === 0x74 && src[start + 3] === 0x72 && src[start + 4] === 0x79) {
          this.#retryField(src, value, end)
        }
        return
      case 2: // id
        if (src[start] === 0x69 && src[start + 1] === 0x64) {
          // U+0000 can only come from a 0x00 byte (invalid sequences decode to U+FFFD).
          for (let i = value; i < end; i++) if (src[i] === 0) return
          this.#idBuffer = value === end ? '' : decodeUtf8(src, value, end)
        }
        return
      default:
        return
    }
  }

  #retryField(src: Uint8Array, start: number, end: number): void {
    if (start === end) return
    let ms = 0
    for (let i = start; i < end; i++) {
      const d = src[i]! - 0x30
      if (d < 0 || d > 9) return
      ms = ms * 10 + d
    }
    this.#retry = ms
    this.#onRetry?.(ms)
  }

  #dispatch(): void {
    this.#lastEventId = this.#idBuffer
    const retry = this.#retry
    this.#retry = undefined
    if (!this.#hasData) {
      this.#type = ''
      return
    }
    const ev: ServerSentEvent =
      retry === undefined
        ? { event: this.#type === '' ? 'message' : this.#type, data: this.#data, id: this.#lastEventId }
        : { event: this.#type === '' ? 'message' : this.#type, data: this.#data, id: this.#lastEventId, retry }
    this.#data = ''
    this.#hasData = false
    this.#type = ''
    this.#onEvent(ev)
  }
}

const BOM_BYTES = new Uint8Array([BOM0, BOM1, BOM2])
