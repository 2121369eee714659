// Certificates made with the openssl CLI in a temporary directory (removed afterwards): a test CA
// with a leaf for localhost/127.0.0.1, a second CA trusted by nothing, and a self-signed one.
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KeyPair {
  key: string
  cert: string
  /** sha256 of the DER, 'AA:BB:…' as openssl and node print it. */
  fingerprint256: string
}

export interface TestCerts {
  /** The test CA (its certificate is what clients trust). */
  ca: KeyPair
  /** A certificate for localhost and 127.0.0.1 signed by `ca`. */
  leaf: KeyPair
  /** Another CA, trusted by nothing here: a second, different `ca` option. */
  otherCa: KeyPair
  /** A self-signed certificate for localhost and 127.0.0.1. */
  selfSigned: KeyPair
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
const SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1'

function inTempDir<T>(make: (f: (name: string) => string, pair: (name: string) => KeyPair) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-test-cert-'))
  const f = (name: string): string => join(dir, name)
  const pair = (name: string): KeyPair => {
    const cert = readFileSync(f(`${name}.pem`), 'utf8')
    return { key: readFileSync(f(`${name}.key`), 'utf8'), cert, fingerprint256: new X509Certificate(cert).fingerprint256 }
  }
  try {
    return make(f, pair)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function selfSigned(f: (name: string) => string): void {
  openssl(['req', '-x509', ...EC, '-keyout', f('self.key'), '-out', f('self.pem'), '-subj', '/CN=localhost', '-addext', SAN])
}

/** A test CA, a leaf it signed, another CA and a self-signed certificate (see TestCerts). */
export function makeCerts(): TestCerts {
  return inTempDir((f, pair) => {
    for (const ca of ['ca', 'other-ca']) {
      openssl(['req', '-x509', ...EC, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`), '-subj', `/CN=sonic ${ca}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    }
    openssl(['req', ...EC, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=localhost'])
    writeFileSync(f('leaf.ext'), `${SAN}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
    openssl(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '1', '-out', f('leaf.pem'), '-extfile', f('leaf.ext')])
    selfSigned(f)
    return { ca: pair('ca'), leaf: pair('leaf'), otherCa: pair('other-ca'), selfSigned: pair('self') }
  })
}

/** Only the self-signed certificate for localhost and 127.0.0.1 (one openssl run). */
export function makeSelfSigned(): KeyPair {
  return inTempDir((f, pair) => {
    selfSigned(f)
    return pair('self')
  })
}

/** `fingerprint256` as 64 lower-case hex digits. */
export function hex(fingerprint256: string): string {
  return fingerprint256.replace(/:/g, '').toLowerCase()
}
