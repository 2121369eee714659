// Encoding of the values that go into a part's header block. Names and filenames follow the
// WHATWG "multipart/form-data encoding algorithm" (what browsers send): UTF-8 as is, and `"`,
// CR and LF percent-encoded so a value can never close its quoted-string or start a new header.
// Content types are not rewritten: CR, LF or NUL in them is refused.
import { InvalidArgumentError } from '@sonic/core'

const SPECIAL = /["\r\n]/g
const REPLACEMENT: Record<string, string> = { '"': '%22', '\r': '%0D', '\n': '%0A' }

/** Escapes a field name or filename for a `name="…"` / `filename="…"` parameter. */
export function escapeParam(value: string): string {
  return value.replace(SPECIAL, (c) => REPLACEMENT[c]!)
}

/** Throws InvalidArgumentError when a part header value holds CR, LF or NUL. */
export function assertPartHeaderValue(what: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x0d || c === 0x0a || c === 0x00) {
      throw new InvalidArgumentError(`Invalid ${what} ${JSON.stringify(value)}: CR, LF and NUL are not allowed`)
    }
  }
}

/**
 * The header block of one part, framed as RFC 7578 / RFC 2046 say, preceded by the CRLF that
 * ends the previous part (the form drops it for the first part):
 * `\r\n--boundary\r\nContent-Disposition: form-data; name="…"[; filename="…"]\r\n[Content-Type: …\r\n]\r\n`
 */
export function partHead(boundary: string, name: string, filename: string | undefined, contentType: string | undefined): string {
  let head = `\r\n--${boundary}\r\nContent-Disposition: form-data; name="${escapeParam(name)}"`
  if (filename !== undefined) head += `; filename="${escapeParam(filename)}"`
  head += '\r\n'
  if (contentType !== undefined) head += `Content-Type: ${contentType}\r\n`
  return head + '\r\n'
}
