// The WHATWG HTML "event stream interpretation". Each chunk is decoded to text once, by a
// streaming UTF-8 decoder (utf8.ts: the standard's own decode, so a character or an invalid
// sequence split across chunks comes out exactly as if the stream were decoded whole), and the
// lines are parsed from that text. Line ends are found with String#indexOf, the position of the
// next LF and of the next CR remembered so that a chunk is searched once for each; field names are
// compared with charCodeAt; values are slices of the chunk's text. Only the unfinished last line
// is kept between chunks, as a string.
import { Utf8StreamDecoder } from './utf8.js'

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
   * removed. Comments are skipped when this is not set.
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
const BOM = 0xfeff

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

  /** Decodes the stream; keeps the bytes of a character that a chunk leaves unfinished. */
  readonly #decoder = new Utf8StreamDecoder()
  /** No character decoded yet: a leading U+FEFF is the BOM (the decoder keeps it; we strip it). */
  #bom = true
  /** The previous chunk ended in a CR: a LF opening the next chunk belongs to it. */
  #cr = false
  /** The start of a line whose end has not arrived yet. */
  #partial = ''

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
    if (chunk.length === 0) return
    const text = this.#decoder.decode(chunk)
    const n = text.length
    // Nothing decoded: the chunk only started a character.
    if (n === 0) return
    let pos = 0
    if (this.#bom) {
      this.#bom = false
      if (text.charCodeAt(0) === BOM) pos = 1
    }
    if (this.#cr) {
      this.#cr = false
      if (text.charCodeAt(pos) === LF) pos++
    }
    if (pos === n) return
    let lf = text.indexOf('\n', pos)
    if (lf === -1) lf = n
    let cr = text.indexOf('\r', pos)
    if (cr === -1) cr = n

    if (this.#partial !== '') {
      // Finish the line that started in an earlier chunk. (pos is 0 here: neither the BOM nor a
      // CR ending the previous chunk can precede an unfinished line.)
      const eol = lf < cr ? lf : cr
      if (eol === n) {
        this.#partial += text
        return
      }
      const partial = this.#partial
      this.#partial = ''
      this.#joinedLine(partial, text.slice(pos, eol))
      pos = eol + 1
      if (eol === cr) {
        if (pos === n) {
          this.#cr = true
          return
        }
        if (text.charCodeAt(pos) === LF) pos++
        cr = text.indexOf('\r', pos)
        if (cr === -1) cr = n
      }
      if (pos === n) return
      if (lf < pos) {
        lf = text.indexOf('\n', pos)
        if (lf === -1) lf = n
      }
    }

    for (;;) {
      if (lf < cr) {
        // A "data:" line closing an event with the "\n\n" that follows: the event is dispatched
        // directly from the value (the most common line in an LLM stream).
        if (
          text.charCodeAt(pos + 4) === COLON &&
          text.charCodeAt(pos) === 0x64 &&
          text.charCodeAt(pos + 1) === 0x61 &&
          text.charCodeAt(pos + 2) === 0x74 &&
          text.charCodeAt(pos + 3) === 0x61 &&
          !this.#hasData &&
          this.#retry === undefined &&
          text.charCodeAt(lf + 1) === LF
        ) {
          const v = text.charCodeAt(pos + 5) === SPACE ? pos + 6 : pos + 5
          const type = this.#type
          const id = (this.#lastEventId = this.#idBuffer)
          this.#type = ''
          pos = lf + 2
          this.#onEvent({ event: type === '' ? 'message' : type, data: text.slice(v, lf), id })
          if (pos === n) return
          lf = text.indexOf('\n', pos)
          if (lf === -1) lf = n
          continue
        }
        this.#line(text, pos, lf)
        pos = lf + 1
        // The common "\n\n" that ends an event: dispatch without another search.
        if (text.charCodeAt(pos) === LF) {
          this.#dispatch()
          if (++pos === n) return
        }
        lf = text.indexOf('\n', pos)
        if (lf === -1) lf = n
      } else if (cr < n) {
        this.#line(text, pos, cr)
        pos = cr + 1
        if (pos === n) {
          this.#cr = true
          return
        }
        if (text.charCodeAt(pos) === LF) pos++
        cr = text.indexOf('\r', pos)
        if (cr === -1) cr = n
        if (lf < pos) {
          lf = text.indexOf('\n', pos)
          if (lf === -1) lf = n
        }
      } else {
        break
      }
    }
    if (pos < n) this.#partial = text.slice(pos)
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
    this.#decoder.reset()
    this.#bom = true
    this.#cr = false
    this.#partial = ''
    this.#data = ''
    this.#hasData = false
    this.#type = ''
    this.#retry = undefined
    this.#idBuffer = this.#lastEventId
  }

  /** Interprets the line `head + tail` whose start came in an earlier chunk. */
  #joinedLine(head: string, tail: string): void {
    // A long data line (the usual reason a line spans chunks): its value is the two pieces joined,
    // without first joining and copying the whole line to find the colon that head already holds.
    if (head.length > 5 && head.charCodeAt(4) === COLON && head.charCodeAt(0) === 0x64 && head.startsWith('data')) {
      this.#addData(head.slice(head.charCodeAt(5) === SPACE ? 6 : 5) + tail)
      return
    }
    const line = head + tail
    this.#line(line, 0, line.length)
  }

  #addData(text: string): void {
    if (this.#hasData) {
      this.#data = this.#data + '\n' + text
    } else {
      this.#data = text
      this.#hasData = true
    }
  }

  /** Interprets one line, s[start, end), without its line end (s[end] is CR, LF or past the end). */
  #line(s: string, start: number, end: number): void {
    if (start === end) {
      this.#dispatch()
      return
    }
    const c = s.charCodeAt(start)
    if (c === COLON) {
      const onComment = this.#onComment
      if (onComment !== undefined) onComment(s.slice(s.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end))
      return
    }
    // A field name is never longer than 5: look for the colon in the first 6 characters only.
    // (Characters from `end` on are CR, LF or none, never a colon or a letter compared below.)
    let colon = start + 1
    while (colon < end && colon - start < 6 && s.charCodeAt(colon) !== COLON) colon++
    let value = colon + 1
    if (colon === end) value = end
    else if (s.charCodeAt(value) === SPACE) value++
    switch (colon - start) {
      case 4: // data
        if (c === 0x64 && s.charCodeAt(start + 1) === 0x61 && s.charCodeAt(start + 2) === 0x74 && s.charCodeAt(start + 3) === 0x61) {
          this.#addData(s.slice(value, end))
        }
        return
      case 5:
        if (c === 0x65) {
          // event
          if (s.charCodeAt(start + 1) === 0x76 && s.charCodeAt(start + 2) === 0x65 && s.charCodeAt(start + 3) === 0x6e && s.charCodeAt(start + 4) === 0x74) {
            this.#type = s.slice(value, end)
          }
        } else if (c === 0x72 && s.charCodeAt(start + 1) === 0x65 && s.charCodeAt(start + 2) === 0x74 && s.charCodeAt(start + 3) === 0x72 && s.charCodeAt(start + 4) === 0x79) {
          this.#retryField(s, value, end)
        }
        return
      case 2: // id
        if (c === 0x69 && s.charCodeAt(start + 1) === 0x64) {
          const id = s.slice(value, end)
          if (id.indexOf('\0') === -1) this.#idBuffer = id
        }
        return
      default:
        return
    }
  }

  #retryField(s: string, start: number, end: number): void {
    if (start === end) return
    let ms = 0
    for (let i = start; i < end; i++) {
      const d = s.charCodeAt(i) - 0x30
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
