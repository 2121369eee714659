// The `compress` option: gzip or deflate the request body before it is sent.
import { isStreamBody, type RequestBody, type StreamBody } from '@sonic/core'
import { Readable, pipeline } from 'node:stream'
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'

const gzip = promisify(zlib.gzip)
const deflate = promisify(zlib.deflate)

export async function compressBody(body: RequestBody, coding: 'gzip' | 'deflate'): Promise<RequestBody> {
  if (body === null) return null
  if (!isStreamBody(body)) return coding === 'gzip' ? gzip(body) : deflate(body)
  const source: StreamBody = body
  return {
    length: null,
    replayable: source.replayable,
    stream() {
      const z = coding === 'gzip' ? zlib.createGzip() : zlib.createDeflate()
      pipeline(Readable.from(source.stream(), { objectMode: false }), z, () => {})
      return z as AsyncIterable<Uint8Array>
    },
  }
}
