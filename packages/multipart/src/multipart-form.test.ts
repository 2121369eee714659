// Units of the form's encoder, without a network: the exact bytes it yields, how it cuts and
// coalesces chunks, and its argument checks. The wire tests against busboy live in test/.
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { MultipartFile } from './multipart-file.js'
import { MultipartForm } from './multipart-form.js'

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = []
  for await (const c of body) chunks.push(c)
  return chunks
}

describe('MultipartForm encoding', () => {
  it('yields the exact RFC 7578 bytes, and getBodySize() counts them', async () => {
    const form = new MultipartForm({ boundary: 'XX' })
      .addField('a', 'b')
      .addField('bin', new Uint8Array([0, 13, 10, 255]), { filename: 'x.bin' })
      .addField('blob', new Blob(['hi'], { type: 'text/plain' }))
    const bytes = Buffer.concat(await collect(form.stream()))
    const expected = Buffer.concat([
      Buffer.from('--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n'),
      Buffer.from('--XX\r\nContent-Disposition: form-data; name="bin"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
      Buffer.from([0, 13, 10, 255]),
      Buffer.from('\r\n--XX\r\nContent-Disposition: form-data; name="blob"; filename="blob"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX--\r\n'),
    ])
    expect(bytes.equals(expected)).toBe(true)
    expect(await form.getBodySize()).toBe(expected.byteLength)
  })

  it('coalesces many small fields into few chunks', async () => {
    const form = new MultipartForm()
    for (let i = 0; i < 1000; i++) form.addField(`f${i}`, 'v')
    const chunks = await collect(form.stream())
    const total = chunks.reduce((n, c) => n + c.byteLength, 0)
    expect(total).toBe(await form.getBodySize())
    expect(chunks.length).toBeLessThan(10)
    for (const c of chunks) expect(c.byteLength).toBeLessThanOrEqual(64 * 1024 + 16 * 1024)
  })

  it('yields large in-memory data as views of at most 64 KiB, without copying', async () => {
    const big = new Uint8Array(200 * 1024).fill(7)
    const form = new MultipartForm().addField('big', big)
    const chunks = await collect(form.stream())
    const views = chunks.filter((c) => c.buffer === big.buffer)
    expect(views.map((c) => c.byteLength)).toEqual([65536, 65536, 65536, 8192])
  })

  it('builds from FormData: strings as fields, Files and Blobs as files', async () => {
    const fd = new FormData()
    fd.append('s', 'v')
    fd.append('f', new File(['x'], 'a.txt', { type: 'text/csv' }))
    fd.append('b', new Blob(['y']))
    const form = MultipartForm.fromFormData(fd)
    const text = Buffer.concat(await collect(form.stream())).toString()
    expect(text).toContain('name="s"\r\n\r\nv\r\n')
    expect(text).toContain('name="f"; filename="a.txt"\r\nContent-Type: text/csv\r\n\r\nx\r\n')
    expect(text).toContain('name="b"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\ny\r\n')
  })

  it('lets part options override a MultipartFile', async () => {
    const file = new MultipartFile(new Uint8Array([1]), { filename: 'in.bin' })
    const form = new MultipartForm({ boundary: 'b' }).addField('x', file, { filename: 'out.png' })
    const text = Buffer.concat(await collect(form.stream())).toString('latin1')
    expect(text).toContain('filename="out.png"\r\nContent-Type: application/octet-stream\r\n')
  })

  it('getHeaders() adds content-length only for a known size', () => {
    const form = new MultipartForm({ boundary: 'b' })
    expect(form.getHeaders()).toEqual({ 'content-type': 'multipart/form-data; boundary=b' })
    expect(form.getHeaders(null)).toEqual({ 'content-type': 'multipart/form-data; boundary=b' })
    expect(form.getHeaders(0)).toEqual({ 'content-type': 'multipart/form-data; boundary=b', 'content-length': '0' })
    expect(() => form.getHeaders(-1)).toThrow(InvalidArgumentError)
    expect(() => form.getHeaders(1.5)).toThrow(InvalidArgumentError)
  })

  it('refuses bad arguments with InvalidArgumentError', () => {
    const form = new MultipartForm()
    expect(() => new MultipartForm({ boundary: 'bad boundary' })).toThrow(InvalidArgumentError)
    expect(() => form.addField(1 as unknown as string, 'v')).toThrow(InvalidArgumentError)
    expect(() => form.addField('a', 42 as unknown as string)).toThrow(InvalidArgumentError)
    expect(() => form.addField('a', null as unknown as string)).toThrow(InvalidArgumentError)
    expect(() => form.addField('a', 'v', { contentType: 'text/plain\r\nX: y' })).toThrow(InvalidArgumentError)
    expect(() => form.addFile('a', undefined as unknown as string)).toThrow(InvalidArgumentError)
    const stream = new MultipartFile(Readable.from(['x']))
    form.addField('s', stream)
    expect(() => form.addField('s2', stream)).toThrow(/added twice/)
    const raw = Readable.from(['y'])
    form.addField('r', raw)
    expect(() => form.addField('r2', raw, { filename: 'r.txt' })).toThrow(/added twice/)
  })

  it('marks a one-shot stream used at stream(), so a second call throws at once', () => {
    const form = new MultipartForm().addField('s', Readable.from(['x']))
    expect(form.replayable).toBe(false)
    form.stream()
    expect(() => form.stream()).toThrow(InvalidArgumentError)
    const replayable = new MultipartForm().addField('b', new Blob(['x']))
    replayable.stream()
    expect(() => replayable.stream()).not.toThrow()
  })
})
