// Forms sent with node:http to a real busboy server on loopback; every field and file is
// compared byte for byte with what was added.
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { MultipartFile, MultipartForm } from '../src/index.js'
import { pseudoRandomBytes, tempDir } from './helpers/files.js'
import { postWithHttp, startBusboyServer, type ReceivedRequest, type TestServer } from './helpers/servers.js'

let server: TestServer
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  server = await startBusboyServer()
  tmp = tempDir()
})

afterAll(async () => {
  await server.close()
  tmp.remove()
})

/** Sends the form (with Content-Length unless `chunked`) and returns what busboy parsed. */
async function send(form: MultipartForm, chunked = false): Promise<ReceivedRequest> {
  const size = chunked ? null : await form.getBodySize()
  const res = await postWithHttp(server.url, form.getHeaders(size), form.stream())
  expect(res.status).toBe(200)
  const rec = server.requests[JSON.parse(res.body).id as number]!
  if (size !== null) {
    expect(rec.headers['content-length']).toBe(String(size))
    expect(rec.raw.byteLength).toBe(size)
  }
  return rec
}

describe('MultipartForm over node:http to busboy', () => {
  it('delivers every kind of source byte for byte, with an exact Content-Length', async () => {
    const pathData = pseudoRandomBytes(200_000, 1)
    const path = tmp.file('photo.png', pathData)
    const bytes = pseudoRandomBytes(70_000, 2)
    const arrayBuffer = pseudoRandomBytes(1000, 3)
    const blobData = pseudoRandomBytes(130_000, 4)
    const streamData = pseudoRandomBytes(150_000, 5)

    const form = new MultipartForm()
      .addField('text', 'hello world')
      .addFile('path', path)
      .addField('bytes', bytes, { filename: 'bytes.bin' })
      .addField('arraybuffer', arrayBuffer.buffer.slice(arrayBuffer.byteOffset, arrayBuffer.byteOffset + arrayBuffer.byteLength), {
        filename: 'ab.dat',
      })
      .addField('blob', new Blob([blobData], { type: 'application/x-test' }), { filename: 'b.test' })
      .addField('file', new File(['file text'], 'notes.txt', { type: 'text/plain' }))
      .addField('readable', new MultipartFile(Readable.from([streamData.subarray(0, 1000), streamData.subarray(1000)]), { filename: 's.bin', size: streamData.byteLength }))
      .addField('custom', new MultipartFile(path, { filename: 'custom.jpg', contentType: 'image/custom' }))

    const rec = await send(form)
    expect(rec.headers['transfer-encoding']).toBeUndefined()
    expect(rec.order).toEqual(['field:text', 'file:path', 'file:bytes', 'file:arraybuffer', 'file:blob', 'file:file', 'file:readable', 'file:custom'])
    expect(rec.fields).toEqual([{ name: 'text', value: 'hello world', mimeType: 'text/plain' }])
    const files = Object.fromEntries(rec.files.map((f) => [f.name, f]))
    expect(files.path).toMatchObject({ filename: 'photo.png', mimeType: 'image/png' })
    expect(files.path!.data.equals(pathData)).toBe(true)
    expect(files.bytes).toMatchObject({ filename: 'bytes.bin', mimeType: 'application/octet-stream' })
    expect(files.bytes!.data.equals(bytes)).toBe(true)
    expect(files.arraybuffer!.data.equals(arrayBuffer)).toBe(true)
    expect(files.blob).toMatchObject({ filename: 'b.test', mimeType: 'application/x-test' })
    expect(files.blob!.data.equals(blobData)).toBe(true)
    expect(files.file).toMatchObject({ filename: 'notes.txt', mimeType: 'text/plain' })
    expect(files.file!.data.toString()).toBe('file text')
    expect(files.readable!.data.equals(streamData)).toBe(true)
    expect(files.custom).toMatchObject({ filename: 'custom.jpg', mimeType: 'image/custom' })
    expect(files.custom!.data.equals(pathData)).toBe(true)
  })

  it('sends empty files and empty fields', async () => {
    const empty = tmp.file('empty.txt', '')
    const form = new MultipartForm()
      .addField('emptyText', '')
      .addFile('emptyPath', empty)
      .addField('emptyBytes', new Uint8Array(0), { filename: 'e.bin' })
      .addField('emptyBlob', new Blob([]), { filename: 'e.blob' })
      .addField('after', 'still here')
    const rec = await send(form)
    expect(rec.fields).toEqual([
      { name: 'emptyText', value: '', mimeType: 'text/plain' },
      { name: 'after', value: 'still here', mimeType: 'text/plain' },
    ])
    expect(rec.files.map((f) => [f.name, f.filename, f.data.byteLength])).toEqual([
      ['emptyPath', 'empty.txt', 0],
      ['emptyBytes', 'e.bin', 0],
      ['emptyBlob', 'e.blob', 0],
    ])
  })

  it('keeps binary content with CRLF and boundary-like bytes intact', async () => {
    const form = new MultipartForm()
    const fake = '----sonic' + 'f'.repeat(32)
    const nasty = Buffer.concat([
      Buffer.from(`\r\n--${fake}\r\nContent-Disposition: form-data; name="evil"\r\n\r\n`),
      pseudoRandomBytes(100_000, 7),
      Buffer.from(`\r\n--${fake}--\r\n\r\n\r\n--\r\n`),
      Buffer.from(`--${form.boundary.slice(0, -1)}`), // the real boundary minus its last character
      pseudoRandomBytes(3, 8),
    ])
    const path = tmp.file('nasty.bin', nasty)
    form.addFile('onDisk', path).addField('inMemory', nasty, { filename: 'mem.bin' }).addField('text', `a\r\n--${fake}\r\nb`)
    const rec = await send(form)
    expect(rec.files.map((f) => f.name)).toEqual(['onDisk', 'inMemory'])
    expect(rec.files[0]!.data.equals(nasty)).toBe(true)
    expect(rec.files[1]!.data.equals(nasty)).toBe(true)
    expect(rec.fields).toEqual([{ name: 'text', value: `a\r\n--${fake}\r\nb`, mimeType: 'text/plain' }])
  })

  it('sends 500 fields in order', async () => {
    const form = new MultipartForm()
    for (let i = 0; i < 500; i++) form.addField(`field${i}`, `value ${i} ${'x'.repeat(i % 50)}`)
    const rec = await send(form)
    expect(rec.fields).toHaveLength(500)
    rec.fields.forEach((f, i) => {
      expect(f.name).toBe(`field${i}`)
      expect(f.value).toBe(`value ${i} ${'x'.repeat(i % 50)}`)
    })
  })

  it('sends non-ASCII names, filenames and values as UTF-8', async () => {
    const form = new MultipartForm()
      .addField('prénom', 'Zoë ✓ 日本語 🚀')
      .addField('файл', Buffer.from('данные'), { filename: 'отчёт 2024.txt' })
      .addField('emoji🚀', new Blob(['x']), { filename: '😀.png' })
    const rec = await send(form)
    expect(rec.fields).toEqual([{ name: 'prénom', value: 'Zoë ✓ 日本語 🚀', mimeType: 'text/plain' }])
    expect(rec.files.map((f) => [f.name, f.filename, f.mimeType, f.data.toString()])).toEqual([
      ['файл', 'отчёт 2024.txt', 'text/plain', 'данные'],
      ['emoji🚀', '😀.png', 'image/png', 'x'],
    ])
  })

  it('percent-encodes quotes, CR and LF in names and filenames as browsers do', async () => {
    const form = new MultipartForm()
      .addField('say "hi"', 'v1')
      .addField('back\\slash', 'v2')
      .addField('line\r\nbreak', 'v3')
      .addField('up', Buffer.from('f'), { filename: 'my "quoted"\nname\r.txt' })
    const rec = await send(form)
    expect(rec.fields.map((f) => [f.name, f.value])).toEqual([
      ['say %22hi%22', 'v1'],
      ['back\\slash', 'v2'],
      ['line%0D%0Abreak', 'v3'],
    ])
    expect(rec.files.map((f) => [f.name, f.filename])).toEqual([['up', 'my %22quoted%22%0Aname%0D.txt']])
    // No header injection: exactly four parts were seen.
    expect(rec.order).toHaveLength(4)
  })

  it('frames parts exactly as RFC 7578 says', async () => {
    const form = new MultipartForm({ boundary: 'B0undary' })
      .addField('a', 'x')
      .addField('f', Buffer.from('DATA'), { filename: 'd.txt' })
      .addField('t', '1', { contentType: 'application/json' })
    const rec = await send(form)
    expect(rec.headers['content-type']).toBe('multipart/form-data; boundary=B0undary')
    expect(rec.raw.toString('latin1')).toBe(
      '--B0undary\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n' +
        '--B0undary\r\nContent-Disposition: form-data; name="f"; filename="d.txt"\r\nContent-Type: text/plain\r\n\r\nDATA\r\n' +
        '--B0undary\r\nContent-Disposition: form-data; name="t"\r\nContent-Type: application/json\r\n\r\n1\r\n' +
        '--B0undary--\r\n',
    )
  })

  it('quotes a boundary that is not a token in Content-Type', async () => {
    const form = new MultipartForm({ boundary: 'a:b=c?(d)' }).addField('k', 'v')
    expect(form.getHeaders()['content-type']).toBe('multipart/form-data; boundary="a:b=c?(d)"')
    const rec = await send(form)
    expect(rec.fields).toEqual([{ name: 'k', value: 'v', mimeType: 'text/plain' }])
  })

  it('sends an empty form as the closing delimiter alone', async () => {
    const form = new MultipartForm({ boundary: 'empty' })
    expect(await form.getBodySize()).toBe('--empty--\r\n'.length)
    const res = await postWithHttp(server.url, form.getHeaders(await form.getBodySize()), form.stream())
    const rec = server.requests[JSON.parse(res.body).id as number]!
    expect(rec.raw.toString()).toBe('--empty--\r\n')
    expect(rec.fields).toEqual([])
    expect(rec.files).toEqual([])
  })

  it('is sent chunked when a part has no known size', async () => {
    const data = pseudoRandomBytes(300_000, 9)
    const form = new MultipartForm().addField('a', 'b').addField('s', Readable.from([data.subarray(0, 5), data.subarray(5)]), { filename: 's.bin' })
    expect(await form.getBodySize()).toBeNull()
    expect(form.getHeaders(await form.getBodySize())).toEqual({ 'content-type': `multipart/form-data; boundary=${form.boundary}` })
    const rec = await send(form, true)
    expect(rec.headers['transfer-encoding']).toBe('chunked')
    expect(rec.headers['content-length']).toBeUndefined()
    expect(rec.files[0]!.data.equals(data)).toBe(true)
  })

  it('replays a replayable form with identical bytes', async () => {
    const path = tmp.file('replay.txt', pseudoRandomBytes(100_000, 10))
    const form = new MultipartForm().addField('k', 'v').addFile('f', path).addField('b', new Blob(['blob']), { filename: 'b' })
    expect(form.replayable).toBe(true)
    const first = await send(form)
    const second = await send(form)
    expect(second.raw.equals(first.raw)).toBe(true)
    expect(second.files.map((f) => f.data.byteLength)).toEqual([100_000, 4])
  })

  it('refuses to send a form holding a one-shot stream twice', async () => {
    const form = new MultipartForm().addField('k', 'v').addField('s', Readable.from([Buffer.from('once')]), { filename: 's' })
    expect(form.replayable).toBe(false)
    const rec = await send(form, true)
    expect(rec.files[0]!.data.toString()).toBe('once')
    expect(() => form.stream()).toThrow(InvalidArgumentError)
    expect(() => form.stream()).toThrow(/cannot be sent twice/)
  })

  it('toBody() gives a StreamBody with the exact length', async () => {
    const path = tmp.file('body.txt', 'from disk')
    const form = new MultipartForm().addField('k', 'v').addFile('f', path)
    const expected = await form.getBodySize()
    const body = await form.toBody()
    form.addField('later', 'not in this body')
    expect(body.replayable).toBe(true)
    expect(body.length).toBe(expected)
    expect(await form.getBodySize()).toBeGreaterThan(expected!)
    for (let round = 0; round < 2; round++) {
      const res = await postWithHttp(server.url, form.getHeaders(body.length), body.stream() as AsyncIterable<Uint8Array>)
      const rec = server.requests[JSON.parse(res.body).id as number]!
      expect(rec.raw.byteLength).toBe(body.length)
      expect(rec.order).toEqual(['field:k', 'file:f'])
      expect(rec.files[0]!.data.toString()).toBe('from disk')
    }
    const oneShot = await new MultipartForm().addField('s', Readable.from(['x'])).toBody()
    expect(oneShot).toMatchObject({ length: null, replayable: false })
  })

  it('fromFormData() sends string, File and Blob entries', async () => {
    const fd = new FormData()
    fd.append('name', 'value')
    fd.append('upload', new File([pseudoRandomBytes(10_000, 11)], 'pic.jpg', { type: 'image/jpeg' }))
    fd.append('blob', new Blob(['raw']))
    fd.append('name', 'second')
    const rec = await send(MultipartForm.fromFormData(fd))
    expect(rec.order).toEqual(['field:name', 'file:upload', 'file:blob', 'field:name'])
    expect(rec.fields.map((f) => f.value)).toEqual(['value', 'second'])
    expect(rec.files.map((f) => [f.filename, f.mimeType, f.data.byteLength])).toEqual([
      ['pic.jpg', 'image/jpeg', 10_000],
      ['blob', 'application/octet-stream', 3],
    ])
    expect(rec.files[0]!.data.equals(pseudoRandomBytes(10_000, 11))).toBe(true)
  })

  it('rejects when a file added by path does not exist, keeping the OS error as cause', async () => {
    const form = new MultipartForm().addFile('f', `${tmp.dir}/missing.txt`)
    const err = await form.getBodySize().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect((err as Error & { cause: NodeJS.ErrnoException }).cause.code).toBe('ENOENT')
    const err2 = await (async () => {
      for await (const _ of form.stream());
    })().catch((e: unknown) => e)
    expect(err2).toBeInstanceOf(InvalidArgumentError)
    expect((err2 as Error & { cause: NodeJS.ErrnoException }).cause.code).toBe('ENOENT')
  })

  it('fails when a Readable does not produce its declared size', async () => {
    const form = new MultipartForm({ boundary: 'b' }).addField('s', new MultipartFile(Readable.from([Buffer.from('abc')]), { size: 10 }))
    // The declared size counts as the part's length, like 10 real bytes would.
    const same = new MultipartForm({ boundary: 'b' }).addField('s', new Uint8Array(10))
    expect(await form.getBodySize()).toBe(await same.getBodySize())
    const chunks: Uint8Array[] = []
    const err = await (async () => {
      for await (const c of form.stream()) chunks.push(c)
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect((err as Error).message).toMatch(/produced 3 bytes, but its declared size is 10/)
  })
})
