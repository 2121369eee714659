// The form is client-agnostic: the same body goes out through undici's request() and the
// global fetch (duplex: 'half'), and busboy on a real server gets every byte.
import { Readable } from 'node:stream'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultipartForm } from '../src/index.js'
import { pseudoRandomBytes, tempDir } from './helpers/files.js'
import { startBusboyServer, type TestServer } from './helpers/servers.js'

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

/** undici's request() accepts any async iterable of bytes; its typings list only Readable. */
function asUndiciBody(body: AsyncIterable<Uint8Array>): Readable {
  return body as unknown as Readable
}

function buildForm(): { form: MultipartForm; data: Buffer } {
  const data = pseudoRandomBytes(500_000, 42)
  const path = tmp.file(`upload-${Math.random().toString(36).slice(2)}.bin`, data)
  const form = new MultipartForm().addField('title', 'Ünïcode "title"').addFile('file', path, { contentType: 'application/x-bin' })
  return { form, data }
}

describe('with other clients', () => {
  it("undici.request sends form.stream() with the form's headers", async () => {
    const { form, data } = buildForm()
    const size = await form.getBodySize()
    const res = await request(server.url, { method: 'POST', headers: form.getHeaders(size), body: asUndiciBody(form.stream()) })
    expect(res.statusCode).toBe(200)
    const rec = server.requests[((await res.body.json()) as { id: number }).id]!
    expect(rec.headers['content-length']).toBe(String(size))
    expect(rec.raw.byteLength).toBe(size)
    expect(rec.fields).toEqual([{ name: 'title', value: 'Ünïcode "title"', mimeType: 'text/plain' }])
    expect(rec.files).toHaveLength(1)
    expect(rec.files[0]).toMatchObject({ name: 'file', mimeType: 'application/x-bin' })
    expect(rec.files[0]!.data.equals(data)).toBe(true)
  })

  it('undici.request sends a form of unknown size chunked', async () => {
    const data = pseudoRandomBytes(100_000, 43)
    const form = new MultipartForm().addField('s', Readable.from([data]), { filename: 's.bin' })
    const res = await request(server.url, { method: 'POST', headers: form.getHeaders(await form.getBodySize()), body: asUndiciBody(form.stream()) })
    const rec = server.requests[((await res.body.json()) as { id: number }).id]!
    expect(rec.headers['transfer-encoding']).toBe('chunked')
    expect(rec.files[0]!.data.equals(data)).toBe(true)
  })

  it("fetch sends form.stream() with duplex: 'half'", async () => {
    const { form, data } = buildForm()
    const size = await form.getBodySize()
    const res = await fetch(server.url, {
      method: 'POST',
      headers: form.getHeaders(size),
      body: form.stream() as unknown as BodyInit,
      duplex: 'half',
    } as unknown as RequestInit)
    expect(res.status).toBe(200)
    const rec = server.requests[((await res.json()) as { id: number }).id]!
    expect(rec.raw.byteLength).toBe(size)
    expect(rec.files[0]!.data.equals(data)).toBe(true)
  })
})
