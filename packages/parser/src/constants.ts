// Public return codes for the handlers, and the llhttp numbers the glue needs (llhttp 9's
// `llhttp_errno` and `llhttp_flags` enums, and the layout of `llhttp_t` in the wasm32 build).

/**
 * Return from `onBody` or `onComplete` to pause parsing: `execute()` returns the bytes consumed
 * so far; call `resume()` and feed the rest later.
 */
export const PAUSE = 1

/** Return from `onHeaders` when the response has no body whatever its headers say (a HEAD request). */
export const SKIP_BODY = 1

/** llhttp_errno values. */
export const HPE_OK = 0
export const HPE_PAUSED = 21
export const HPE_PAUSED_UPGRADE = 22

/** llhttp_flags bits. */
export const F_CONNECTION_KEEP_ALIVE = 1 << 0
export const F_CONNECTION_CLOSE = 1 << 1
export const F_CHUNKED = 1 << 3
export const F_CONTENT_LENGTH = 1 << 5

/** llhttp_type_t: HTTP_RESPONSE. */
export const TYPE_RESPONSE = 2

/**
 * Byte offsets of the fields read directly from `llhttp_t` (wasm32: 4-byte pointers, the uint64
 * `content_length` 8-aligned). Checked against the exported getters by src/llhttp-runtime.test.ts.
 * `_current` is llparse's state number (an enum of the compiled binary, see src/body-states.ts).
 */
export const OFFSET_ERROR = 12
export const OFFSET_ERROR_POS = 20
export const OFFSET_CURRENT = 28
export const OFFSET_CONTENT_LENGTH = 32
export const OFFSET_HTTP_MAJOR = 42
export const OFFSET_HTTP_MINOR = 43
export const OFFSET_FLAGS = 50
