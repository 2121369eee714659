// Getting a request onto the wire. The common case is one socket write (head + small body); the
// rest — `Expect: 100-continue` with its 1 s fallback, streams, large bytes with progress, chunked
// framing — is written piece by piece, awaiting 'drain' whenever write() returns false.
// One RequestWriter per connection; it reports back through the WriterOwner it was built with.
import type { Duplex } from 'node:stream'
import { InvalidArgumentError, type ProgressCallback } from '@sonic/core'
import { SMALL_BODY, slices, type PreparedRequest } from './write-request.js'
import { deferWrite } from './write-batch.js'

/** Without an answer to `Expect: 100-continue`, the body is sent after this many ms (as curl does). */
export const CONTINUE_TIMEOUT = 1000

const CRLF = '\r\n'
const LAST_CHUNK = '0\r\n\r\n'

type Source = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>

/** What the writer tells its connection. */
export interface WriterOwner {
  /**
   * True: the writer now waits on the server (request fully written, or head written and waiting
   * for 100 Continue). False: it is uploading, and the server owes nothing meanwhile.
   */
  onAwaitServer(awaiting: boolean): void
  /** Writing failed: the body stream threw, yielded more/fewer bytes than declared, or onUploadProgress threw. */
  onWriteError(err: unknown): void
}

export class RequestWriter {
  readonly #socket: Duplex
  readonly #owner: WriterOwner
  #prep: PreparedRequest | null = null
  #onProgress: ProgressCallback | null = null
  #writing = false
  #continueTimer: NodeJS.Timeout | null = null
  /** Bumped by write() and stop(): an upload whose generation is stale writes nothing more. */
  #generation = 0
  #drainResolve: (() => void) | null = null
  /** A whole-bytes body sits in the socket's buffer: the next 'drain' completes the upload. */
  #awaitDrain = false

  constructor(socket: Duplex, owner: WriterOwner) {
    this.#socket = socket
    this.#owner = owner
    socket.on('drain', this.#wake)
  }

  /**
   * True while the body is still being written (or waits for 100 Continue), including a body
   * buffered by the socket until its 'drain'.
   */
  get writing(): boolean {
    return this.#writing
  }

  /** Writes `prep`: in one write when possible, else the head now and the body as it comes. */
  write(prep: PreparedRequest, onProgress: ProgressCallback | null | undefined): void {
    const socket = this.#socket
    this.#generation++
    this.#prep = prep
    this.#onProgress = onProgress ?? null
    const bytes = prep.bytes
    if (prep.stream === null && !prep.chunked && !prep.expectContinue) {
      const n = bytes === null ? 0 : bytes.byteLength
      if (n === 0) {
        deferWrite(socket)
        socket.write(prep.head, 'latin1')
      } else if (n <= SMALL_BODY) {
        // Corked: head and body leave in one writev, without copying the body into a new buffer.
        deferWrite(socket)
        socket.write(prep.head, 'latin1')
        socket.write(bytes!)
      }
      else if (this.#onProgress === null) {
        socket.cork()
        socket.write(prep.head, 'latin1')
        const ok = socket.write(bytes!)
        socket.uncork()
        if (!ok) {
          // The socket buffered the body (backpressure): it is still being uploaded until
          // 'drain'. Meanwhile the server owes nothing (no read timeout; a server that never
          // reads stalls here until the caller's request timeout / AbortSignal — this layer
          // has no write timeout), and an early response makes the connection not reusable.
          this.#writing = true
          this.#awaitDrain = true
          this.#owner.onAwaitServer(false)
          return
        }
      } else {
        socket.write(prep.head, 'latin1')
        this.#upload(this.#generation)
        return
      }
      if (n > 0 && !this.#progress(n)) return
      this.#owner.onAwaitServer(true)
      return
    }
    socket.write(prep.head, 'latin1')
    if (prep.expectContinue) {
      this.#writing = true
      this.#continueTimer = setTimeout(this.continueBody, CONTINUE_TIMEOUT)
      this.#owner.onAwaitServer(true)
      return
    }
    this.#upload(this.#generation)
  }

  /** `100 Continue` arrived (or the fallback timer fired): send the body. */
  continueBody = (): void => {
    if (this.#continueTimer === null) return
    clearTimeout(this.#continueTimer)
    this.#continueTimer = null
    this.#upload(this.#generation)
  }

  /** A final status arrived instead of 100 Continue: the body is never sent. True if it was waiting. */
  skipBody(): boolean {
    if (this.#continueTimer === null) return false
    this.stop()
    return true
  }

  /** Stops writing (the response is complete, or the exchange failed); the owner hears nothing more. */
  stop(): void {
    this.#generation++
    this.#writing = false
    this.#awaitDrain = false
    this.#prep = null
    this.#onProgress = null
    if (this.#continueTimer !== null) {
      clearTimeout(this.#continueTimer)
      this.#continueTimer = null
    }
    this.#wake()
  }

  /**
   * Stops writing and takes the writer's 'drain' listener off the socket, for good: the socket
   * now belongs to someone else (upgrade() handed it over). The writer must not be used again.
   */
  detach(): void {
    this.stop()
    this.#socket.off('drain', this.#wake)
  }

  /** Reports progress; false when the callback threw (the owner was told). */
  #progress(loaded: number): boolean {
    const cb = this.#onProgress
    if (cb === null) return true
    const total = this.#prep!.length
    try {
      cb(total === null ? { loaded } : { loaded, total })
      return true
    } catch (err) {
      this.#failed(this.#generation, err)
      return false
    }
  }

  #upload(generation: number): void {
    const prep = this.#prep!
    this.#writing = true
    this.#owner.onAwaitServer(false)
    let source: Source
    try {
      source = prep.stream !== null ? prep.stream.stream() : slices(prep.bytes!)
    } catch (err) {
      this.#failed(generation, err)
      return
    }
    this.#pump(generation, source, prep.length, prep.chunked).then(
      () => this.#done(generation),
      (err: unknown) => this.#failed(generation, err),
    )
  }

  #halted(generation: number): boolean {
    return generation !== this.#generation || this.#socket.destroyed
  }

  async #pump(generation: number, source: Source, length: number | null, chunked: boolean): Promise<void> {
    const socket = this.#socket
    let loaded = 0
    for await (const piece of source) {
      if (this.#halted(generation)) return
      if (typeof piece !== 'string' && !(piece instanceof Uint8Array)) {
        throw new InvalidArgumentError(`A request body may yield only Uint8Array or string chunks, got ${piece === null ? 'null' : typeof piece}`)
      }
      const buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece
      const n = buf.byteLength
      if (n === 0) continue
      loaded += n
      if (length !== null && loaded > length) {
        throw new InvalidArgumentError(`Request body is longer than its declared length of ${length} bytes`)
      }
      let ok: boolean
      if (chunked) {
        socket.cork()
        socket.write(n.toString(16) + CRLF, 'latin1')
        socket.write(buf)
        ok = socket.write(CRLF, 'latin1')
        socket.uncork()
      } else {
        ok = socket.write(buf)
      }
      if (!this.#progress(loaded)) return
      if (!ok && !this.#halted(generation)) await new Promise<void>((resolve) => (this.#drainResolve = resolve))
    }
    if (this.#halted(generation)) return
    if (length !== null && loaded !== length) {
      throw new InvalidArgumentError(`Request body is shorter (${loaded} bytes) than its declared length of ${length} bytes`)
    }
    if (chunked) socket.write(LAST_CHUNK, 'latin1')
  }

  #wake = (): void => {
    const resolve = this.#drainResolve
    if (resolve !== null) {
      this.#drainResolve = null
      resolve()
    } else if (this.#awaitDrain) {
      this.#awaitDrain = false
      this.#done(this.#generation)
    }
  }

  #done(generation: number): void {
    if (this.#halted(generation)) return
    this.#writing = false
    this.#owner.onAwaitServer(true)
  }

  #failed(generation: number, err: unknown): void {
    if (generation !== this.#generation) return
    this.stop()
    this.#owner.onWriteError(err)
  }
}
