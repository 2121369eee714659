// Certificate pinning: a pin given by the user in any common spelling, compared with the sha256 of
// the DER the server presented.
import { createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { InvalidArgumentError } from '@sonic/core'

const SHA256_HEX = /^[0-9a-f]{64}$/

/**
 * The pin as 64 lower-case hex digits; ':' separators and any case are accepted
 * → InvalidArgumentError otherwise.
 */
export function normaliseFingerprint(fingerprint: unknown): string {
  const hex = typeof fingerprint === 'string' ? fingerprint.replace(/:/g, '').toLowerCase() : ''
  if (!SHA256_HEX.test(hex)) {
    throw new InvalidArgumentError(
      `fingerprint must be the sha256 of the certificate in hex (64 digits, ':' allowed), got ${JSON.stringify(fingerprint)}`,
    )
  }
  return hex
}

/** Hex sha256 of the peer certificate's DER, or '' when the peer presented none. */
export function peerFingerprint(socket: TLSSocket): string {
  const raw = socket.getPeerCertificate()?.raw
  return raw === undefined ? '' : createHash('sha256').update(raw).digest('hex')
}
