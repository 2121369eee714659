import { readWebStream } from '@sonic/core'
import { EventStreamParser, type EventStreamParserOptions, type ServerSentEvent } from './event-stream-parser.js'

/** A byte stream: any async iterable of chunks, or a web ReadableStream such as a `fetch` body. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>

/** Options of {@link parseEventStream}: those of EventStreamParser. */
export type ParseEventStreamOptions = EventStreamParserOptions

/**
 * Parses a `text/event-stream` byte stream into events, with backpressure: one chunk is read,
 * its events are yielded, and only then is the next chunk read. Breaking out of the loop closes
 * the source (its iterator's `return()`, or `cancel()` for a ReadableStream). An event left
 * incomplete when the source ends is discarded.
 *
 * @example
 * const res = await fetch('https://example.com/stream')
 * for await (const ev of parseEventStream(res.body!)) console.log(ev.data)
 */
export async function* parseEventStream(
  source: ByteSource,
  options?: ParseEventStreamOptions,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const queue: ServerSentEvent[] = []
  const parser = new EventStreamParser((ev) => queue.push(ev), options)
  for await (const chunk of iterate(source)) {
    parser.feed(chunk)
    for (let i = 0; i < queue.length; i++) yield queue[i]!
    queue.length = 0
  }
  parser.end()
}

function iterate(source: ByteSource): AsyncIterable<Uint8Array> {
  if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) return source as AsyncIterable<Uint8Array>
  if (source !== null && typeof source === 'object' && typeof (source as ReadableStream).getReader === 'function') {
    return readWebStream(source as ReadableStream<Uint8Array>)
  }
  throw new TypeError('parseEventStream: source must be an AsyncIterable<Uint8Array> or a ReadableStream')
}
