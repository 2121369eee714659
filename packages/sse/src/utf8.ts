// UTF-8 decoding of one byte range. On Node a Buffer view over the chunk decodes through
// `utf8Slice` (one native call, no copy, invalid sequences → U+FFFD exactly like TextDecoder);
// elsewhere a shared TextDecoder decodes a subarray.

interface NodeBufferLike extends Uint8Array {
  utf8Slice(start: number, end: number): string
}

interface NodeBufferCtor {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBufferLike
  prototype: { utf8Slice?: unknown }
}

const NodeBuffer: NodeBufferCtor | undefined = (() => {
  const B = (globalThis as unknown as { Buffer?: NodeBufferCtor }).Buffer
  return B !== undefined && typeof B.prototype.utf8Slice === 'function' ? B : undefined
})()

const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * Returns a view of `bytes` (never a copy) that `decodeUtf8` decodes fastest: a Buffer on Node,
 * the array itself elsewhere. Called once per chunk.
 */
export const decodable: (bytes: Uint8Array) => Uint8Array =
  NodeBuffer === undefined
    ? (bytes) => bytes
    : (bytes) =>
        typeof (bytes as Partial<NodeBufferLike>).utf8Slice === 'function'
          ? bytes
          : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/**
 * Decodes bytes[start, end) of a `decodable` view as UTF-8. Invalid sequences become U+FFFD;
 * a U+FEFF is kept (the stream's leading BOM is removed before lines are split).
 */
export const decodeUtf8: (bytes: Uint8Array, start: number, end: number) => string =
  NodeBuffer === undefined
    ? (bytes, start, end) => decoder.decode(bytes.subarray(start, end))
    : (bytes, start, end) => (bytes as NodeBufferLike).utf8Slice(start, end)
