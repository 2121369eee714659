import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findOnPath, startTinyproxy, tinyproxyConfig } from './tinyproxy.js'

const dir = mkdtempSync(join(tmpdir(), 'sonic-bench-path-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const tinyproxy = findOnPath('tinyproxy')

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('findOnPath', () => {
  it('finds an executable on the given PATH, and nothing on an empty one', () => {
    const fake = join(dir, 'tinyproxy')
    writeFileSync(fake, '#!/bin/sh\n')
    chmodSync(fake, 0o755)
    expect(findOnPath('tinyproxy', `/nonexistent:${dir}`)).toBe(fake)
    expect(findOnPath('tinyproxy', '')).toBeUndefined()
    expect(findOnPath('tinyproxy', '/nonexistent')).toBeUndefined()
  })

  it('skips a file that is not executable', () => {
    const sub = mkdtempSync(join(dir, 'noexec-'))
    writeFileSync(join(sub, 'tinyproxy'), '')
    expect(findOnPath('tinyproxy', sub)).toBeUndefined()
  })
})

describe('tinyproxyConfig', () => {
  it('listens on loopback only and stays quiet', () => {
    expect(tinyproxyConfig(8123).split('\n')).toEqual(['Port 8123', 'Listen 127.0.0.1', 'Allow 127.0.0.1', 'MaxClients 100', 'LogLevel Critical', ''])
  })
})

describe.skipIf(tinyproxy === undefined)('startTinyproxy', () => {
  it('starts tinyproxy on a free port and stop() leaves no process behind', async () => {
    const proxy = await startTinyproxy(tinyproxy!)
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`)
    expect(alive(proxy.pid)).toBe(true)
    await new Promise<void>((resolve, reject) => net.connect(proxy.port, '127.0.0.1', resolve).once('error', reject).unref())
    await proxy.stop()
    expect(alive(proxy.pid)).toBe(false)
  })

  it('rejects with the reason when the binary does not run as tinyproxy', async () => {
    const fake = join(dir, 'broken-proxy')
    writeFileSync(fake, '#!/bin/sh\necho "cannot start" >&2\nexit 3\n')
    chmodSync(fake, 0o755)
    await expect(startTinyproxy(fake, 2000)).rejects.toThrow(/exited before it listened: cannot start/)
  })
})
