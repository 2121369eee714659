// Parser microbenchmark: @sonic/parser's ResponseParser against the llhttp-wasm package's own
// JS wrapper, both running the same llhttp 9 WASM binary on the same input.
//
//   node --expose-gc parser.bench.mjs          (pnpm run bench:parser in bench/)
//   BENCH_ROUNDS=9 BENCH_ROUND_MS=400 node --expose-gc parser.bench.mjs
//
// Cases (input fed in 64 KiB "socket reads"):
//   small  — a ~150-byte head with a 13-byte body, many responses per read (pipelining);
//   64KiB  — a content-length response with a 64 KiB body (each response spans two reads);
//   1MiB   — a content-length response with a 1 MiB body (a download: ~16 reads of pure body each).
// Equivalent work on both sides: the headers and the reason phrase are materialised as strings
// (the wrapper always does; ours through headersFlat() and statusText), every body piece is
// touched (length and first byte), completions are counted. Warm-up, then rounds alternating between the two, timed in process
// CPU time (steadier than wall time when other work shares the machine); medians are reported.
import { writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ResponseParser } from '@sonic/parser'
import llhttpWasm from 'llhttp-wasm'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300)
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500)
const READ_SIZE = 64 * 1024

function smallResponse() {
  const body = 'Hello, World!'
  const head =
    'HTTP/1.1 200 OK\r\n' +
    'Date: Sat, 22 Nov 2025 01:58:00 GMT\r\n' +
    'Server: sonic-bench/1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Connection: keep-alive\r\n' +
    '\r\n'
  return { bytes: Buffer.from(head + body, 'latin1'), head: head.length, body: body.length }
}

function largeResponse(size) {
  const body = Buffer.alloc(size, 0x61)
  const head =
    'HTTP/1.1 200 OK\r\n' +
    'Date: Sat, 22 Nov 2025 01:58:00 GMT\r\n' +
    'Server: sonic-bench/1.0\r\n' +
    'Content-Type: application/octet-stream\r\n' +
    `Content-Length: ${body.length}\r\n` +
    '\r\n'
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), body]), head: head.length, body: body.length }
}

/** The stream of many copies of `response`, cut into READ_SIZE reads. */
function makeReads(response, count) {
  const stream = Buffer.concat(Array.from({ length: count }, () => response.bytes))
  const reads = []
  for (let i = 0; i < stream.length; i += READ_SIZE) reads.push(stream.subarray(i, Math.min(i + READ_SIZE, stream.length)))
  return { reads, responses: count, bytes: stream.length }
}

// Each runner returns a function parsing the whole stream once and returning the completions.
function sonicRunner() {
  const parser = new ResponseParser()
  let completed = 0
  let touched = 0
  let headerStrings = 0
  parser.onHeaders = (p) => {
    headerStrings += p.headersFlat().length + p.statusText.length
  }
  parser.onBody = (chunk) => {
    touched += chunk.length + chunk[0]
  }
  parser.onComplete = () => {
    completed++
  }
  return (reads) => {
    completed = 0
    for (let i = 0; i < reads.length; i++) parser.execute(reads[i])
    if (touched < 0 || headerStrings < 0) throw new Error('unreachable')
    return completed
  }
}

function wrapperRunner() {
  const parser = llhttpWasm.createParser(llhttpWasm.TYPE.RESPONSE)
  let completed = 0
  let touched = 0
  let headerStrings = 0
  parser.onHeadersComplete = (info) => {
    headerStrings += info.rawHeaders.length + info.statusMessage.length
    return 0
  }
  parser.onBody = (chunk) => {
    touched += chunk.length + chunk[0]
    return 0
  }
  parser.onMessageComplete = () => {
    completed++
    return 0
  }
  return (reads) => {
    completed = 0
    for (let i = 0; i < reads.length; i++) {
      const code = parser.execute(reads[i])
      if (code !== 0) throw new Error(`llhttp-wasm: ${parser.getErrorName(code)} ${parser.getErrorReason(code)}`)
    }
    if (touched < 0 || headerStrings < 0) throw new Error('unreachable')
    return completed
  }
}

/** CPU time of this process in ms: steadier than wall time on a machine shared with other work. */
function cpuMs() {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** One round: parse the stream repeatedly for ROUND_MS of CPU time; returns the rates. */
function round(run, input) {
  globalThis.gc?.()
  let passes = 0
  const start = cpuMs()
  let elapsed = 0
  do {
    check(run(input.reads), input)
    passes++
    elapsed = cpuMs() - start
  } while (elapsed < ROUND_MS)
  return { rps: (passes * input.responses * 1000) / elapsed, mbps: (passes * input.bytes * 1000) / elapsed / 1e6 }
}

/** Warm-up, then rounds alternating between the contenders (so load changes hit both); medians. */
function compare(runners, input) {
  for (const run of runners) {
    const warmEnd = cpuMs() + WARMUP_MS
    while (cpuMs() < warmEnd) check(run(input.reads), input)
  }
  const samples = runners.map(() => [])
  for (let r = 0; r < ROUNDS; r++) runners.forEach((run, i) => samples[i].push(round(run, input)))
  return samples.map((rates) => {
    rates.sort((a, b) => a.rps - b.rps)
    return rates[Math.floor(rates.length / 2)]
  })
}

function check(completed, input) {
  if (completed !== input.responses) throw new Error(`parsed ${completed} responses, expected ${input.responses}`)
}

const cases = [
  { name: 'small (150 B head + 13 B body)', response: smallResponse(), count: 4000 },
  { name: '64 KiB body', response: largeResponse(64 * 1024), count: 64 },
  { name: '1 MiB body', response: largeResponse(1024 * 1024), count: 8 },
]

const rows = []
for (const c of cases) {
  const input = makeReads(c.response, c.count)
  const [sonic, wrapper] = compare([sonicRunner(), wrapperRunner()], input)
  rows.push({
    case: c.name,
    headBytes: c.response.head,
    bodyBytes: c.response.body,
    sonic,
    wrapper,
    ratio: sonic.rps / wrapper.rps,
  })
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0))
console.log(`Node ${process.version}; ${ROUNDS} alternating rounds of ${ROUND_MS} ms CPU time after ${WARMUP_MS} ms warm-up; median; reads of ${READ_SIZE} B`)
console.log('')
console.log('| case | @sonic/parser resp/s | MB/s | llhttp-wasm wrapper resp/s | MB/s | ratio |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const r of rows) {
  console.log(
    `| ${r.case} | ${fmt(r.sonic.rps)} | ${r.sonic.mbps.toFixed(0)} | ${fmt(r.wrapper.rps)} | ${r.wrapper.mbps.toFixed(0)} | ${r.ratio.toFixed(2)}x |`,
  )
}

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'parser.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify({ node: process.version, rounds: ROUNDS, roundMs: ROUND_MS, date: new Date().toISOString(), rows }, null, 2))
