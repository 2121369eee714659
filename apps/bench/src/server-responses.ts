// The bench server's answers, built once at start-up so that serving a request is one write of a
// ready Buffer. Sizes are part of the benchmark's contract (docs/bench.md lists them): a client's
// bytes are checked against them on every request.

/** Body of `/small`: 13 bytes. */
export const SMALL_BODY = 'Hello, world!'
/** 64 KiB, the size of `/64k` and of the upload workload's body. */
export const SIZE_64K = 64 * 1024
/** 1 MiB, the size of `/1m` and `/chunked-1m`. */
export const SIZE_1M = 1024 * 1024
/** Chunk size used to frame `/chunked-1m`. */
export const CHUNK_SIZE = 16 * 1024

const KEEP_ALIVE = 'Connection: keep-alive\r\nKeep-Alive: timeout=120\r\n'

/** A status line plus headers for a body of `length` bytes, ending with the blank line. */
export function responseHead(length: number, contentType = 'text/plain', status = '200 OK'): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n${KEEP_ALIVE}\r\n`
}

/** A full response with a content-length body. */
export function fixedResponse(body: Buffer, contentType = 'application/octet-stream', status = '200 OK'): Buffer {
  return Buffer.concat([Buffer.from(responseHead(body.length, contentType, status), 'latin1'), body])
}

/** A full response whose body is sent in `chunkSize` chunks with chunked transfer-encoding. */
export function chunkedResponse(body: Buffer, chunkSize: number, contentType = 'application/octet-stream'): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\n${KEEP_ALIVE}\r\n`, 'latin1'),
  ]
  for (let off = 0; off < body.length; off += chunkSize) {
    const chunk = body.subarray(off, Math.min(off + chunkSize, body.length))
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, Buffer.from('\r\n', 'latin1'))
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'))
  return Buffer.concat(parts)
}

/** Deterministic filler so that bodies are not all zeros (compression-proof, easy to check). */
export function filler(size: number): Buffer {
  const buf = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) buf[i] = 97 + (i % 26)
  return buf
}

/** The static routes and their complete precomputed responses. */
export function staticResponses(): Map<string, Buffer> {
  const big = filler(SIZE_1M)
  return new Map<string, Buffer>([
    ['/small', fixedResponse(Buffer.from(SMALL_BODY, 'latin1'), 'text/plain')],
    ['/64k', fixedResponse(big.subarray(0, SIZE_64K))],
    ['/1m', fixedResponse(big)],
    ['/chunked-1m', chunkedResponse(big, CHUNK_SIZE)],
  ])
}

export const NOT_FOUND = fixedResponse(Buffer.from('not found', 'latin1'), 'text/plain', '404 Not Found')
export const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1')

/** Answers a bad request and asks the client to close. */
export function badRequest(status: string): Buffer {
  const body = Buffer.from(status, 'latin1')
  return Buffer.from(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${status}`,
    'latin1',
  )
}

/** `/echo`'s answer: the number of body bytes received, as decimal text. Memoised per count. */
export class EchoResponses {
  readonly #cache = new Map<number, Buffer>()

  get(count: number): Buffer {
    let res = this.#cache.get(count)
    if (res === undefined) {
      res = fixedResponse(Buffer.from(String(count), 'latin1'), 'text/plain')
      if (this.#cache.size < 1024) this.#cache.set(count, res)
    }
    return res
  }
}

/** `/json`'s answer: the posted body, sent back as application/json. */
export function jsonResponse(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(responseHead(body.length, 'application/json'), 'latin1'), body])
}
