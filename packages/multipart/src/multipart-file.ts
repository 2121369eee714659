// One file-like part: a path on disk, a Blob/File, bytes, or a Node Readable. It knows its
// filename, content type and size without reading content; the form streams it through the
// internal kChunks method.
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { Readable } from 'node:stream'
import mimeTypes from 'mime-types'
import { InvalidArgumentError } from '@sonic/core'
import { assertPartHeaderValue } from './header-params.js'
import { readBlob, readPath, readReadable, sliceBytes } from './sources.js'

/** Internal: yields the file's content (marks a one-shot source as used). */
export const kChunks = Symbol('sonic.multipart.chunks')
/** Internal: the content when it is bytes already in memory, else null. */
export const kInline = Symbol('sonic.multipart.inline')
/** Internal: true once a one-shot source has been claimed for sending. */
export const kUsed = Symbol('sonic.multipart.used')
/** Internal: claims a one-shot source for one send. */
export const kClaim = Symbol('sonic.multipart.claim')
/** Internal: the one-shot source object (the Readable), or null. */
export const kOneShot = Symbol('sonic.multipart.oneShot')

/** What a MultipartFile can be built from. */
export type MultipartFileSource = string | Readable | Blob | Uint8Array | ArrayBuffer

/** Options of a file part. */
export interface MultipartFileOptions {
  /**
   * The `filename` sent in Content-Disposition.
   * @default the path's base name, the File's `name` ('blob' for a bare Blob), the base name of an
   * fs.ReadStream's `path`; none for bytes and other Readables
   */
  filename?: string
  /**
   * The part's Content-Type. CR, LF or NUL → InvalidArgumentError.
   * @default the Blob's `type`, else guessed from the filename's extension (mime-types), else 'application/octet-stream'
   */
  contentType?: string
  /**
   * Byte length of a Readable source, so the form's length (and Content-Length) can be known.
   * The stream must then produce exactly this many bytes. For other sources the length is known
   * and, if given, must match it.
   * @default undefined (a Readable's size is unknown → the form is sent chunked)
   */
  size?: number
}

type Source =
  | { kind: 'path'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'blob'; blob: Blob }
  | { kind: 'readable'; readable: Readable }

function isBlob(value: unknown): value is Blob {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true
  const v = value as Partial<Blob> | null
  return typeof v === 'object' && v !== null && typeof v.stream === 'function' && typeof v.size === 'number' && typeof v.arrayBuffer === 'function'
}

function isReadable(value: unknown): value is Readable {
  if (value instanceof Readable) return true
  const v = value as Partial<Readable> | null
  return typeof v === 'object' && v !== null && typeof v.pipe === 'function' && typeof v[Symbol.asyncIterator] === 'function'
}

function toSource(source: unknown): Source {
  if (typeof source === 'string') {
    if (source.length === 0) throw new InvalidArgumentError('MultipartFile: the path must not be empty')
    return { kind: 'path', path: source }
  }
  if (source instanceof Uint8Array) return { kind: 'bytes', bytes: source }
  if (source instanceof ArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(source) }
  if (isBlob(source)) return { kind: 'blob', blob: source }
  if (isReadable(source)) return { kind: 'readable', readable: source }
  throw new InvalidArgumentError('MultipartFile: source must be a path, Readable, Blob, Uint8Array or ArrayBuffer')
}

function defaultFilename(source: Source): string | undefined {
  switch (source.kind) {
    case 'path':
      return basename(source.path)
    case 'blob': {
      // A File has a name; a bare Blob is called 'blob', as FormData (and so browsers) name it.
      const name = (source.blob as Partial<File>).name
      return typeof name === 'string' ? name : 'blob'
    }
    case 'readable': {
      // An fs.ReadStream carries the path it reads.
      const path = (source.readable as Readable & { path?: unknown }).path
      return typeof path === 'string' && path.length > 0 ? basename(path) : undefined
    }
    default:
      return undefined
  }
}

/**
 * A file-like part of a multipart form. Content is read only when the form is sent, in chunks
 * of at most 64 KiB; a path is opened then and always closed afterwards.
 *
 * @example
 * form.addField('avatar', new MultipartFile('img.png', { filename: 'me.png' }))
 * form.addField('doc', new MultipartFile(await fs.openAsBlob('doc.pdf'), { filename: 'doc.pdf' }))
 * form.addField('log', new MultipartFile(fs.createReadStream('app.log'), { size: 1234 }))
 */
export class MultipartFile {
  /** The filename sent in Content-Disposition, or undefined to send none. */
  readonly filename: string | undefined
  /** The part's Content-Type. */
  readonly contentType: string
  #source: Source
  #declaredSize: number | null
  /** Size of a path when last stat'ed: what the form announced, checked again at send time. */
  #statSize: number | null = null
  #used = false

  constructor(source: MultipartFileSource, options: MultipartFileOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('MultipartFile: options must be an object')
    this.#source = toSource(source)
    const { filename, contentType, size } = options
    if (filename !== undefined && typeof filename !== 'string') throw new InvalidArgumentError('MultipartFile: filename must be a string')
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      throw new InvalidArgumentError(`MultipartFile: size must be a non-negative integer, got ${String(size)}`)
    }
    this.#declaredSize = size ?? null
    const s = this.#source
    const known = s.kind === 'bytes' ? s.bytes.byteLength : s.kind === 'blob' ? s.blob.size : null
    if (known !== null && size !== undefined && size !== known) {
      throw new InvalidArgumentError(`MultipartFile: size ${size} does not match the source's ${known} bytes`)
    }
    this.filename = filename ?? defaultFilename(s)
    let type = contentType
    if (type === undefined && s.kind === 'blob' && s.blob.type) type = s.blob.type
    if (type === undefined && this.filename !== undefined) type = mimeTypes.lookup(this.filename) || undefined
    if (type === undefined) type = 'application/octet-stream'
    if (typeof type !== 'string') throw new InvalidArgumentError('MultipartFile: contentType must be a string')
    assertPartHeaderValue('content type', type)
    this.contentType = type
  }

  /** False for a Readable source, which can be sent only once. */
  get replayable(): boolean {
    return this.#source.kind !== 'readable'
  }

  /**
   * The exact byte length, read from stat() for a path (no content is read), the byte length or
   * Blob.size, else the `size` option; null when unknown (a Readable without `size`).
   */
  async size(): Promise<number | null> {
    const s = this.#source
    switch (s.kind) {
      case 'bytes':
        return s.bytes.byteLength
      case 'blob':
        return s.blob.size
      case 'readable':
        return this.#declaredSize
      case 'path': {
        let st
        try {
          st = await stat(s.path)
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err)
          throw new InvalidArgumentError(`Cannot stat file ${JSON.stringify(s.path)}: ${reason}`, { cause: err })
        }
        const size = st.isFile() ? st.size : null
        if (size !== null && this.#declaredSize !== null && size !== this.#declaredSize) {
          throw new InvalidArgumentError(`MultipartFile: size ${this.#declaredSize} does not match ${JSON.stringify(s.path)} (${size} bytes)`)
        }
        this.#statSize = size
        return size
      }
    }
  }

  /** @internal */
  get [kUsed](): boolean {
    return this.#used
  }

  /** @internal */
  [kClaim](): void {
    if (this.#source.kind === 'readable') this.#used = true
  }

  /** @internal */
  [kOneShot](): Readable | null {
    return this.#source.kind === 'readable' ? this.#source.readable : null
  }

  /** @internal */
  [kInline](): Uint8Array | null {
    return this.#source.kind === 'bytes' ? this.#source.bytes : null
  }

  /** @internal The content, read lazily as the result is iterated. */
  [kChunks](): AsyncIterable<Uint8Array> {
    const s = this.#source
    switch (s.kind) {
      case 'bytes':
        return toAsync(sliceBytes(s.bytes))
      case 'blob':
        return readBlob(s.blob)
      case 'path':
        return readPath(s.path, this.#statSize ?? this.#declaredSize)
      case 'readable':
        return readReadable(s.readable, this.#declaredSize)
    }
  }
}

async function* toAsync(it: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* it
}
