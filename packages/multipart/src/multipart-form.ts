// A multipart/form-data body (RFC 7578) built from fields and files and streamed lazily. Part
// heads are encoded once when added; stream() yields them and file chunks as views, coalescing
// runs of small in-memory pieces (many short fields) into chunks of up to 64 KiB.
import type { Readable } from 'node:stream'
import { InvalidArgumentError, type StreamBody } from '@sonic/core'
import { assertBoundary, boundaryParam, randomBoundary } from './boundary.js'
import { CHUNK_SIZE, SMALL_PIECE } from './constants.js'
import { assertPartHeaderValue, partHead } from './header-params.js'
import { MultipartFile, kChunks, kClaim, kInline, kOneShot, kUsed } from './multipart-file.js'
import { sliceBytes } from './sources.js'

/** Options of a MultipartForm. */
export interface MultipartFormOptions {
  /**
   * The boundary between parts: 1–70 characters from `0-9 A-Z a-z ' ( ) + _ , - . / : = ?`.
   * The caller must make sure it does not occur in the content.
   * @default '----sonic' followed by 32 random hex digits (crypto.randomBytes)
   */
  boundary?: string
}

/** Options of one field or file part. */
export interface PartOptions {
  /**
   * The `filename` sent in Content-Disposition. Giving one to a string value sends it as a file.
   * @default the MultipartFile's filename (a path's base name, a File's name); none for strings and bytes
   */
  filename?: string
  /**
   * The part's Content-Type. CR, LF or NUL → InvalidArgumentError.
   * @default none for a string field; for files the Blob's type, else a guess from the filename, else 'application/octet-stream'
   */
  contentType?: string
}

/** A value addField accepts. */
export type FieldValue = string | Uint8Array | ArrayBuffer | Blob | Readable | MultipartFile

/** Headers to send a form with (a plain object, accepted as headers by node:http, undici and fetch). */
export type MultipartHeaders = {
  'content-type': string
  'content-length'?: string
}

interface Part {
  /** CRLF + the part's header block; the first part is sent without the CRLF. */
  readonly head: Buffer
  /** In-memory content (a string field, bytes), or null. */
  readonly data: Uint8Array | null
  /** Content read at send time, or null. */
  readonly file: MultipartFile | null
}

const TEXT = new TextEncoder()

/**
 * A streaming multipart/form-data body that works with any HTTP client: send `form.stream()`
 * with the headers of `form.getHeaders(await form.getBodySize())`. Files are opened only while
 * they are sent and never held in memory whole.
 *
 * @example
 * const form = new MultipartForm()
 * form.addField('field1', 'value1')
 * form.addFile('file1', 'path/to/file.txt')
 * const size = await form.getBodySize()
 * await fetch(url, { method: 'POST', headers: form.getHeaders(size), body: form.stream(), duplex: 'half' })
 */
export class MultipartForm {
  /** The boundary between parts. */
  readonly boundary: string
  #parts: Part[] = []
  /** CRLF + the closing delimiter; sent without the CRLF when the form has no parts. */
  #tail: Buffer

  constructor(options: MultipartFormOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('MultipartForm: options must be an object')
    if (options.boundary !== undefined) assertBoundary(options.boundary)
    this.boundary = options.boundary ?? randomBoundary()
    this.#tail = Buffer.from(`\r\n--${this.boundary}--\r\n`, 'latin1')
  }

  /**
   * Builds a form from a web FormData: strings become fields, File/Blob entries files with their
   * name and type. Blob contents are read at send time, so the form is replayable.
   */
  static fromFormData(fd: FormData): MultipartForm {
    const form = new MultipartForm()
    fd.forEach((value, name) => {
      form.addField(name, value)
    })
    return form
  }

  /**
   * Adds a part. A string is a plain field (no Content-Type unless given); bytes, Blobs, Readables
   * and MultipartFiles are file parts with a Content-Type (and a filename when one is known).
   * Names and filenames are sent as UTF-8 with `"`, CR and LF percent-encoded, as browsers do.
   */
  addField(name: string, value: FieldValue, options: PartOptions = {}): this {
    if (typeof name !== 'string') throw new InvalidArgumentError('MultipartForm: field name must be a string')
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('MultipartForm: options must be an object')
    const { filename, contentType } = options
    if (filename !== undefined && typeof filename !== 'string') throw new InvalidArgumentError('MultipartForm: filename must be a string')
    if (contentType !== undefined) {
      if (typeof contentType !== 'string') throw new InvalidArgumentError('MultipartForm: contentType must be a string')
      assertPartHeaderValue('content type', contentType)
    }
    if (typeof value === 'string' && filename === undefined) {
      const head = partHead(this.boundary, name, undefined, contentType)
      this.#parts.push({ head: Buffer.from(head + value, 'utf8'), data: null, file: null })
      return this
    }
    let file: MultipartFile
    if (value instanceof MultipartFile) {
      file = value
    } else {
      const source = typeof value === 'string' ? TEXT.encode(value) : value
      file = new MultipartFile(source, { filename, contentType })
    }
    const oneShot = file[kOneShot]()
    if (oneShot !== null && this.#parts.some((p) => p.file !== null && p.file[kOneShot]() === oneShot)) {
      throw new InvalidArgumentError('MultipartForm: a one-shot stream cannot be added twice')
    }
    const head = Buffer.from(partHead(this.boundary, name, filename ?? file.filename, contentType ?? file.contentType), 'utf8')
    const inline = file[kInline]()
    this.#parts.push(inline !== null ? { head, data: inline, file: null } : { head, data: null, file })
    return this
  }

  /** Adds the file at `path` as a file part. It is opened when the form is sent and closed after. */
  addFile(name: string, path: string, options: PartOptions = {}): this {
    if (typeof path !== 'string') throw new InvalidArgumentError('MultipartForm: addFile needs a path string')
    return this.addField(name, new MultipartFile(path, options), {})
  }

  /** False once the form holds a one-shot stream (a Readable): it can then be sent only once. */
  get replayable(): boolean {
    return this.#parts.every((p) => p.file === null || p.file.replayable)
  }

  /**
   * The exact body length in bytes, from stat(), Blob.size and byte lengths (no content is read),
   * or null when a part's size is unknown (a Readable without `size`). Rejects with
   * InvalidArgumentError when a file cannot be stat'ed.
   */
  getBodySize(): Promise<number | null> {
    return this.#sizeOf(this.#parts)
  }

  /**
   * The request headers: `content-type` with the boundary, and `content-length` when `size` is a
   * number (pass the result of getBodySize()); without it the body must be sent chunked.
   */
  getHeaders(size?: number | null): MultipartHeaders {
    const headers: MultipartHeaders = { 'content-type': `multipart/form-data; boundary=${boundaryParam(this.boundary)}` }
    if (size !== undefined && size !== null) {
      if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`MultipartForm: invalid body size ${String(size)}`)
      headers['content-length'] = String(size)
    }
    return headers
  }

  /**
   * The body, produced lazily as it is iterated: files are read in chunks of at most 64 KiB and
   * closed when the iteration ends, fails or is stopped early (return()). Throws
   * InvalidArgumentError when a one-shot stream of this form was already sent.
   */
  stream(): AsyncIterable<Uint8Array> {
    return this.#open(this.#parts.slice())
  }

  /**
   * The form as core's StreamBody (what @sonic/client sends): `length` from getBodySize(),
   * `replayable` as the form's. Parts added afterwards are not part of this body.
   */
  async toBody(): Promise<StreamBody> {
    const parts = this.#parts.slice()
    const length = await this.#sizeOf(parts)
    const replayable = parts.every((p) => p.file === null || p.file.replayable)
    return { length, replayable, stream: () => this.#open(parts) }
  }

  async #sizeOf(parts: readonly Part[]): Promise<number | null> {
    let total = this.#tail.byteLength - 2
    const pending: Promise<number | null>[] = []
    for (const p of parts) {
      total += p.head.byteLength
      if (p.data !== null) total += p.data.byteLength
      if (p.file !== null) pending.push(p.file.size())
    }
    for (const size of await Promise.all(pending)) {
      if (size === null) return null
      total += size
    }
    return total
  }

  #open(parts: readonly Part[]): AsyncIterable<Uint8Array> {
    const oneShot: MultipartFile[] = []
    for (const p of parts) if (p.file !== null && !p.file.replayable) oneShot.push(p.file)
    if (oneShot.some((f) => f[kUsed])) {
      throw new InvalidArgumentError(
        'This multipart form cannot be sent twice: it holds a one-shot stream (a Readable) that was already sent. Use paths, bytes or Blobs for a form that can be replayed.',
      )
    }
    for (const f of oneShot) f[kClaim]()
    return this.#generate(parts)
  }

  async *#generate(parts: readonly Part[]): AsyncGenerator<Uint8Array> {
    // Small in-memory pieces are gathered and sent together; large ones and file chunks as views.
    const pending: Uint8Array[] = []
    let pendingBytes = 0
    const flush = (): Uint8Array => {
      const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes)
      pending.length = 0
      pendingBytes = 0
      return out
    }
    for (let i = 0; i <= parts.length; i++) {
      const part = parts[i]
      const head = part === undefined ? this.#tail : part.head
      const data = part === undefined ? null : part.data
      for (let piece of [head, data]) {
        if (piece === null || piece.byteLength === 0) continue
        if (piece === head && i === 0) piece = piece.subarray(2)
        if (piece.byteLength < SMALL_PIECE) {
          pending.push(piece)
          pendingBytes += piece.byteLength
          if (pendingBytes >= CHUNK_SIZE) yield flush()
        } else {
          if (pendingBytes > 0) yield flush()
          yield* sliceBytes(piece)
        }
      }
      if (part?.file) {
        if (pendingBytes > 0) yield flush()
        yield* part.file[kChunks]()
      }
    }
    if (pendingBytes > 0) yield flush()
  }
}
