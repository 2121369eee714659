// Multipart upload benchmark: a 100 MiB file POSTed to a local http server that discards the
// body, by several clients. Each run is a fresh child process, so its peak RSS (getrusage
// maxRSS) belongs to that client alone; the server lives in this parent process.
//
//   node multipart.bench.mjs                  (pnpm run bench:multipart in bench/; build @sonic/multipart first)
//   BENCH_RUNS=5 BENCH_MIB=200 BENCH_CASES=node:http,fetch node multipart.bench.mjs   (cases whose name contains one of these)
//
// A case is one small async function ({ url, path, size }) → bytes the server acknowledged.
// Add one to CASES and it is measured like the others.
// Results are printed and written to results/multipart.json.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, mkdirSync, mkdtempSync, openAsBlob, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { createServer, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const MiB = 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const FILE_MIB = Number(process.env.BENCH_MIB ?? 100)
const FILTER = process.env.BENCH_CASES?.split(',').filter(Boolean)

/** Reads a response body as text. */
async function text(res) {
  let s = ''
  res.setEncoding('utf8')
  for await (const c of res) s += c
  return s
}

const CASES = {
  async 'sonic HTTPClient + MultipartForm'({ url, path }) {
    const { HTTPClient, MultipartForm } = await import('@sonic/client')
    const client = new HTTPClient()
    const form = new MultipartForm().addField('name', 'bench').addFile('file', path)
    const res = await client.post(url, { data: form })
    const n = Number(await res.text())
    await client.close()
    return n
  },

  async 'sonic form + node:http'({ url, path }) {
    const { MultipartForm } = await import('@sonic/multipart')
    const form = new MultipartForm().addField('name', 'bench').addFile('file', path)
    const req = httpRequest(url, { method: 'POST', headers: form.getHeaders(await form.getBodySize()) })
    const response = once(req, 'response')
    await pipeline(form.stream(), req)
    return Number(await text((await response)[0]))
  },

  async 'sonic form + undici.request'({ url, path }) {
    const { MultipartForm } = await import('@sonic/multipart')
    const { request } = await import('undici')
    const form = new MultipartForm().addField('name', 'bench').addFile('file', path)
    const res = await request(url, { method: 'POST', headers: form.getHeaders(await form.getBodySize()), body: form.stream() })
    return Number(await res.body.text())
  },

  async 'sonic form + fetch'({ url, path }) {
    const { MultipartForm } = await import('@sonic/multipart')
    const form = new MultipartForm().addField('name', 'bench').addFile('file', path)
    const res = await fetch(url, { method: 'POST', headers: form.getHeaders(await form.getBodySize()), body: form.stream(), duplex: 'half' })
    return Number(await res.text())
  },

  async 'fetch + FormData(openAsBlob)'({ url, path }) {
    const fd = new FormData()
    fd.append('name', 'bench')
    fd.append('file', await openAsBlob(path), 'file.bin')
    const res = await fetch(url, { method: 'POST', body: fd })
    return Number(await res.text())
  },

  async 'undici.request + FormData(openAsBlob)'({ url, path }) {
    const { request, FormData: UndiciFormData } = await import('undici')
    const fd = new UndiciFormData()
    fd.append('name', 'bench')
    fd.append('file', await openAsBlob(path), 'file.bin')
    const res = await request(url, { method: 'POST', body: fd })
    return Number(await res.body.text())
  },
}

// ---- child: run one case once, print { ms, bytes, baseRss, peakRss } ----
if (process.argv[2] === '--child') {
  const [, , , name, url, path, size] = process.argv
  const baseRss = process.memoryUsage().rss
  const t0 = performance.now()
  const bytes = await CASES[name]({ url, path, size: Number(size) })
  const ms = performance.now() - t0
  const peakRss = process.resourceUsage().maxRSS * 1024
  process.stdout.write(JSON.stringify({ ms, bytes, baseRss, peakRss }))
  process.exit(0)
}

// ---- parent: make the file, serve, run every case RUNS times in fresh processes ----
function runChild(name, url, path, size) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', name, url, path, String(size)], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (c) => (out += c))
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`case ${name} exited with ${code}`)
    return JSON.parse(out)
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const dir = mkdtempSync(join(tmpdir(), 'sonic-bench-multipart-'))
const path = join(dir, 'upload.bin')
{
  // Real (non-sparse) content: 1 MiB of pseudo-random bytes, repeated.
  const block = Buffer.allocUnsafe(MiB)
  let x = 0x2545f491
  for (let i = 0; i < MiB; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    block[i] = x & 0xff
  }
  const fd = openSync(path, 'w')
  for (let i = 0; i < FILE_MIB; i++) writeSync(fd, block)
  closeSync(fd)
}
const size = FILE_MIB * MiB

const server = createServer((req, res) => {
  let n = 0
  req.on('data', (c) => (n += c.byteLength))
  req.on('end', () => res.end(String(n)))
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const url = `http://127.0.0.1:${server.address().port}/`

const results = { node: process.version, fileBytes: size, runs: RUNS, cases: {} }
try {
  console.log(`multipart upload of ${FILE_MIB} MiB, ${RUNS} runs per case (fresh process each)\n`)
  console.log(`${'case'.padEnd(40)} ${'median ms'.padStart(10)} ${'MiB/s'.padStart(8)} ${'peak RSS MiB'.padStart(13)} ${'RSS growth MiB'.padStart(15)}`)
  for (const name of Object.keys(CASES).filter((n) => !FILTER || FILTER.some((f) => n.includes(f)))) {
    const runs = []
    for (let i = 0; i < RUNS; i++) runs.push(await runChild(name, url, path, size))
    for (const r of runs) if (!(r.bytes > size)) throw new Error(`${name}: server received ${r.bytes} bytes, expected more than ${size}`)
    const ms = median(runs.map((r) => r.ms))
    const peak = Math.max(...runs.map((r) => r.peakRss))
    const growth = Math.max(...runs.map((r) => r.peakRss - r.baseRss))
    results.cases[name] = {
      medianMs: Number(ms.toFixed(1)),
      mibPerSec: Number((FILE_MIB / (ms / 1000)).toFixed(1)),
      peakRssMiB: Number((peak / MiB).toFixed(1)),
      rssGrowthMiB: Number((growth / MiB).toFixed(1)),
      msPerRun: runs.map((r) => Number(r.ms.toFixed(1))),
    }
    const c = results.cases[name]
    console.log(`${name.padEnd(40)} ${String(c.medianMs).padStart(10)} ${String(c.mibPerSec).padStart(8)} ${String(c.peakRssMiB).padStart(13)} ${String(c.rssGrowthMiB).padStart(15)}`)
  }
} finally {
  server.close()
  rmSync(dir, { recursive: true, force: true })
}
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'multipart.json'), JSON.stringify(results, null, 2) + '\n')
