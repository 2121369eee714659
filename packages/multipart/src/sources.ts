// Readers for the four kinds of part content. Each yields views of at most CHUNK_SIZE bytes and
// releases what it holds (file handle, Blob reader, Readable) when the consumer stops early,
// fails or finishes: the cleanup sits in `finally`, which an async generator runs on return().
import { open, type FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { InvalidArgumentError, readWebStream } from '@sonic/core'
import { CHUNK_SIZE } from './constants.js'

function fileError(action: string, path: string, err: unknown): InvalidArgumentError {
  const reason = err instanceof Error ? err.message : String(err)
  return new InvalidArgumentError(`Cannot ${action} file ${JSON.stringify(path)}: ${reason}`, { cause: err })
}

/** Yields `bytes` as views of at most CHUNK_SIZE bytes (no copies). */
export function* sliceBytes(bytes: Uint8Array): Generator<Uint8Array> {
  if (bytes.byteLength <= CHUNK_SIZE) {
    if (bytes.byteLength > 0) yield bytes
    return
  }
  for (let at = 0; at < bytes.byteLength; at += CHUNK_SIZE) yield bytes.subarray(at, at + CHUNK_SIZE)
}

/**
 * Reads the file at `path`, opened now and closed in every case. For a regular file exactly
 * its size at open time is sent; `expected` (the size reported earlier for Content-Length) must
 * still match it. Other files (pipes, devices) are read to their end. The next chunk is read
 * while the consumer handles the current one (one read in flight, one chunk ahead).
 */
export async function* readPath(path: string, expected: number | null): AsyncGenerator<Uint8Array> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    throw fileError('open', path, err)
  }
  let ahead: Promise<Uint8Array | null> | null = null
  try {
    let left = Infinity
    let regular = false
    try {
      const st = await handle.stat()
      regular = st.isFile()
      if (regular) left = st.size
    } catch (err) {
      throw fileError('stat', path, err)
    }
    if (regular && expected !== null && left !== expected) {
      throw new InvalidArgumentError(
        `File ${JSON.stringify(path)} changed size after the body length was computed: ${expected} → ${left} bytes`,
      )
    }
    const readNext = async (): Promise<Uint8Array | null> => {
      if (left <= 0) return null
      const want = left < CHUNK_SIZE ? left : CHUNK_SIZE
      const buf = Buffer.allocUnsafe(want)
      let bytesRead: number
      try {
        ;({ bytesRead } = await handle.read(buf, 0, want, null))
      } catch (err) {
        throw fileError('read', path, err)
      }
      if (bytesRead === 0) return null
      left -= bytesRead
      return bytesRead === want ? buf : buf.subarray(0, bytesRead)
    }
    for (;;) {
      const chunk: Uint8Array | null = await (ahead ?? readNext())
      ahead = null
      if (chunk === null) break
      ahead = readNext()
      // Observed in `finally` (or by the await above); keeps a failed read-ahead from being reported unhandled meanwhile.
      ahead.catch(() => {})
      yield chunk
    }
    if (regular && left > 0) {
      throw new InvalidArgumentError(`File ${JSON.stringify(path)} shrank while it was being sent (${left} bytes missing)`)
    }
  } finally {
    if (ahead !== null) await ahead.catch(() => {})
    await handle.close()
  }
}

/** Reads a Blob (or File, e.g. from fs.openAsBlob) through its stream; cancels it on early stop. */
export async function* readBlob(blob: Blob): AsyncGenerator<Uint8Array> {
  for await (const chunk of readWebStream(blob.stream())) yield* sliceBytes(chunk)
}

/**
 * Reads a Node Readable once. String chunks are sent as UTF-8. When `expected` is set the stream
 * must produce exactly that many bytes (it was announced as Content-Length).
 */
export async function* readReadable(readable: Readable, expected: number | null): AsyncGenerator<Uint8Array> {
  let total = 0
  // for-await destroys the stream when the loop exits early or throws.
  for await (const chunk of readable as AsyncIterable<unknown>) {
    let bytes: Uint8Array
    if (chunk instanceof Uint8Array) bytes = chunk
    else if (typeof chunk === 'string') bytes = Buffer.from(chunk, 'utf8')
    else throw new InvalidArgumentError(`A multipart Readable must produce bytes or strings, got ${typeof chunk}`)
    total += bytes.byteLength
    if (expected !== null && total > expected) {
      throw new InvalidArgumentError(`A multipart Readable produced more than its declared size of ${expected} bytes`)
    }
    yield* sliceBytes(bytes)
  }
  if (expected !== null && total !== expected) {
    throw new InvalidArgumentError(`A multipart Readable produced ${total} bytes, but its declared size is ${expected}`)
  }
}
