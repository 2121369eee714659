// Sizes shared by the readers and the form's writer.

/** Largest chunk a file, Blob or byte source is cut into (64 KiB): memory stays bounded per part. */
export const CHUNK_SIZE = 64 * 1024

/** In-memory pieces below this size are coalesced with their neighbours into one chunk. */
export const SMALL_PIECE = 16 * 1024
