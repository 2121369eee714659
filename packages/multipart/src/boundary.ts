// Boundaries: random by default (128 bits, so they never need checking against the content),
// or given by the caller and then checked against RFC 2046's grammar.
import { randomBytes } from 'node:crypto'
import { InvalidArgumentError } from '@sonic/core'

/** RFC 2046 bchars without the space (a trailing space is not allowed and a space would need quoting). */
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/
/** Characters that may appear in a Content-Type parameter without quotes (RFC 9110 token). */
const TOKEN = /^[0-9A-Za-z!#$%&'*+\-.^_`|~]+$/

/** A fresh boundary: `----sonic` followed by 32 random hex digits. */
export function randomBoundary(): string {
  return `----sonic${randomBytes(16).toString('hex')}`
}

/** Throws InvalidArgumentError unless `boundary` is 1–70 RFC 2046 bchars (no spaces). */
export function assertBoundary(boundary: unknown): asserts boundary is string {
  if (typeof boundary !== 'string' || !BCHARS.test(boundary)) {
    throw new InvalidArgumentError(
      `Invalid multipart boundary ${JSON.stringify(boundary)}: use 1-70 characters from 0-9 A-Z a-z ' ( ) + _ , - . / : = ?`,
    )
  }
}

/** The boundary as a Content-Type parameter value, quoted when it is not a token. */
export function boundaryParam(boundary: string): string {
  return TOKEN.test(boundary) ? boundary : `"${boundary}"`
}
