// Temporary files and open-descriptor inspection for the tests (Linux /proc).
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under os.tmpdir(); call `remove()` when done. */
export function tempDir(): { dir: string; file(name: string, content: string | Uint8Array): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sonic-multipart-'))
  return {
    dir,
    file(name, content) {
      const path = join(dir, name)
      writeFileSync(path, content)
      return path
    },
    remove() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Number of this process's open file descriptors. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length
}

/** Number of this process's descriptors open on `path`. */
export function fdsOpenOn(path: string): number {
  let n = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++
    } catch {
      // closed between readdir and readlink
    }
  }
  return n
}

/** Deterministic pseudo-random bytes (xorshift), so failures are reproducible. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer<ArrayBuffer> {
  const out = Buffer.allocUnsafe(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
