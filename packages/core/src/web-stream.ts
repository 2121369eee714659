// Reading a web ReadableStream as an async iterable, for runtimes and types where
// ReadableStream is not itself async-iterable: a reader is taken, its chunks are yielded, and a
// consumer that stops early cancels the stream.

/** Yields the chunks of `stream`; stopping early cancels it. The reader's lock is always released. */
export async function* readWebStream<T>(stream: ReadableStream<T>): AsyncGenerator<T, void, undefined> {
  const reader = stream.getReader()
  let done = false
  try {
    for (;;) {
      const r = await reader.read()
      if (r.done) {
        done = true
        return
      }
      yield r.value
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}
