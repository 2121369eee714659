#!/usr/bin/env node
// @sonic/sse EventStreamParser (fed bytes) vs eventsource-parser@3.1.1 (fed strings, its own
// interface: createParser + feed). Same stream, same chunking (16 KiB, as a socket delivers it),
// so chunks split lines, CRLFs and UTF-8 characters anywhere.
//
//   node sse.bench.mjs            (BENCH_SSE_ROUNDS=n to change the number of timed rounds)
//
// Two figures for eventsource-parser: "strings" gets chunks already decoded (decoding not timed),
// "+decode" includes the TextDecoder(stream) step a caller needs to feed it a byte stream. Results
// are printed and written to results/sse.json.
import { writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EventStreamParser } from '@sonic/sse'
import { createParser } from 'eventsource-parser'

const here = dirname(fileURLToPath(import.meta.url))
const ROUNDS = Number(process.env.BENCH_SSE_ROUNDS ?? 15)
const CHUNK = 16 * 1024

function buildStream(kind) {
  const parts = []
  if (kind === 'small') {
    // LLM-token-like: ~60-byte events, some multi-byte text.
    const words = ['Hello', ' world', ' ça', ' va', ' 世界', ' token', ' stream', '!']
    for (let i = 0; i < 200_000; i++) {
      parts.push(`data: {"i":${i},"delta":{"content":"${words[i % words.length]}"}}\n\n`)
    }
  } else {
    const body = 'x'.repeat(4000) + 'é'.repeat(48)
    for (let i = 0; i < 3_000; i++) parts.push(`event: chunk\nid: ${i}\ndata: ${body}\n\n`)
  }
  const bytes = new TextEncoder().encode(parts.join(''))
  const chunks = []
  for (let off = 0; off < bytes.length; off += CHUNK) chunks.push(bytes.subarray(off, off + CHUNK))
  const decoder = new TextDecoder()
  const strings = chunks.map((c) => decoder.decode(c, { stream: true }))
  return { bytes: bytes.length, events: parts.length, chunks, strings }
}

function runSonic(s) {
  let n = 0
  const p = new EventStreamParser(() => {
    n++
  })
  for (const c of s.chunks) p.feed(c)
  p.end()
  return n
}

function runEsp(s) {
  let n = 0
  const p = createParser({
    onEvent: () => {
      n++
    },
  })
  for (const c of s.strings) p.feed(c)
  return n
}

function runEspDecode(s) {
  let n = 0
  const p = createParser({
    onEvent: () => {
      n++
    },
  })
  const d = new TextDecoder()
  for (const c of s.chunks) p.feed(d.decode(c, { stream: true }))
  return n
}

function measure(fn, s) {
  for (let i = 0; i < 3; i++) fn(s) // warm-up
  const times = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    const n = fn(s)
    times.push(Number(process.hrtime.bigint() - t0) / 1e9)
    if (n !== s.events) throw new Error(`${fn.name} saw ${n} events, expected ${s.events}`)
  }
  times.sort((a, b) => a - b)
  const median = times[times.length >> 1]
  return { eventsPerSec: Math.round(s.events / median), mbPerSec: +(s.bytes / median / 1e6).toFixed(1), medianMs: +(median * 1e3).toFixed(2) }
}

const results = { node: process.version, chunkBytes: CHUNK, rounds: ROUNDS, cases: {} }
for (const kind of ['small', 'large']) {
  const s = buildStream(kind)
  const row = {
    events: s.events,
    bytes: s.bytes,
    '@sonic/sse (bytes)': measure(runSonic, s),
    'eventsource-parser (strings)': measure(runEsp, s),
    'eventsource-parser (+decode)': measure(runEspDecode, s),
  }
  results.cases[kind] = row
  console.log(`\n${kind === 'small' ? 'small events (~60 B)' : 'large events (4 KiB data)'}: ${s.events} events, ${(s.bytes / 1e6).toFixed(1)} MB`)
  console.table(
    Object.fromEntries(
      Object.entries(row)
        .filter(([, v]) => typeof v === 'object')
        .map(([k, v]) => [k, { 'events/s': v.eventsPerSec.toLocaleString('en-US'), 'MB/s': v.mbPerSec, 'median ms': v.medianMs }]),
    ),
  )
}
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'sse.json'), JSON.stringify(results, null, 2) + '\n')
