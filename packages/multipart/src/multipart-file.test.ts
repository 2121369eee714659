import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { MultipartFile } from './multipart-file.js'

const dir = mkdtempSync(join(tmpdir(), 'sonic-mpfile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('MultipartFile', () => {
  it('takes filename and content type from a path, guessing the type from the extension', async () => {
    const path = join(dir, 'report.pdf')
    writeFileSync(path, 'x'.repeat(1234))
    const f = new MultipartFile(path)
    expect(f.filename).toBe('report.pdf')
    expect(f.contentType).toBe('application/pdf')
    expect(f.replayable).toBe(true)
    expect(await f.size()).toBe(1234)
  })

  it('prefers the options, then a Blob type, then the extension, then octet-stream', async () => {
    expect(new MultipartFile('/x/a.png', { filename: 'b.txt' }).contentType).toBe('text/plain')
    expect(new MultipartFile('/x/a.png', { contentType: 'image/x-mine' }).contentType).toBe('image/x-mine')
    expect(new MultipartFile('/x/noext').contentType).toBe('application/octet-stream')
    const file = new File(['abc'], 'photo.jpg', { type: 'image/webp' })
    expect(new MultipartFile(file)).toMatchObject({ filename: 'photo.jpg', contentType: 'image/webp' })
    expect(new MultipartFile(new File(['abc'], 'photo.jpg'))).toMatchObject({ filename: 'photo.jpg', contentType: 'image/jpeg' })
    expect(new MultipartFile(new Blob(['abc']))).toMatchObject({ filename: 'blob', contentType: 'application/octet-stream' })
    expect(await new MultipartFile(new Blob(['abcd'])).size()).toBe(4)
  })

  it('has no filename for bytes, and knows their size', async () => {
    const f = new MultipartFile(new Uint8Array(10))
    expect(f.filename).toBeUndefined()
    expect(f.contentType).toBe('application/octet-stream')
    expect(await f.size()).toBe(10)
    expect(await new MultipartFile(new ArrayBuffer(7)).size()).toBe(7)
  })

  it('a Readable is one-shot; its size is the size option or unknown; an fs.ReadStream lends its name', async () => {
    const r = new MultipartFile(Readable.from(['a']))
    expect(r.replayable).toBe(false)
    expect(await r.size()).toBeNull()
    expect(await new MultipartFile(Readable.from(['a']), { size: 1 }).size()).toBe(1)
    const path = join(dir, 'data.json')
    writeFileSync(path, '{}')
    const rs = createReadStream(path)
    const f = new MultipartFile(rs)
    expect(f).toMatchObject({ filename: 'data.json', contentType: 'application/json' })
    rs.destroy()
  })

  it('reports null for a path that is not a regular file', async () => {
    expect(await new MultipartFile(dir).size()).toBeNull()
  })

  it('refuses bad sources and options with InvalidArgumentError', () => {
    expect(() => new MultipartFile(42 as unknown as string)).toThrow(InvalidArgumentError)
    expect(() => new MultipartFile('')).toThrow(InvalidArgumentError)
    expect(() => new MultipartFile('a.txt', { contentType: 'text/plain\r\nX-Injected: 1' })).toThrow(InvalidArgumentError)
    expect(() => new MultipartFile('a.txt', { contentType: 'a\0b' })).toThrow(InvalidArgumentError)
    expect(() => new MultipartFile(Readable.from([]), { size: -1 })).toThrow(InvalidArgumentError)
    expect(() => new MultipartFile(Readable.from([]), { size: 1.5 })).toThrow(InvalidArgumentError)
    expect(() => new MultipartFile(new Uint8Array(3), { size: 4 })).toThrow(/does not match/)
  })

  it('checks a size option against the file on disk', async () => {
    const path = join(dir, 'sized.txt')
    writeFileSync(path, 'abc')
    await expect(new MultipartFile(path, { size: 3 }).size()).resolves.toBe(3)
    await expect(new MultipartFile(path, { size: 4 }).size()).rejects.toThrow(InvalidArgumentError)
  })
})
