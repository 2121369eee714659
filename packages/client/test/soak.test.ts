// Bounded chaos soak: SONIC_SOAK_N (default 50,000) requests through the public HTTPClient, 50 in
// flight on small pools, against two raw `net` servers on loopback that misbehave on a seeded
// schedule (SONIC_SOAK_SEED, printed): keep-alive answers (Content-Length, chunked, gzip), answers
// in slow pieces, `Connection: close`, keep-alive connections closed while idle or as the next
// request arrives (the stale-socket retry), closes mid-body and before answering, resets, garbage
// status lines, stalls. The plan (method, misbehaviour, server of each request) comes from the seed.
//
// Checked: every request settles within a bound; every error is a SonicError with a code of
// API.md's table, the one the misbehaviour calls for, naming the request's origin; every body read
// is the one the server sent for that request id; a well-behaved answer is never lost (a GET always
// succeeds, a POST may fail only when the server closed its connection before reading it); no POST
// reaches the server twice and no GET more than twice (one retry); the process's open fds and
// sockets/timers are back to their baseline after client.close().
import { randomInt } from 'node:crypto'
import { readdirSync } from 'node:fs'
import type net from 'node:net'
import { gzipSync } from 'node:zlib'
import { prng } from '@sonic/test-utils'
import { describe, expect, it } from 'vitest'
import { HTTPClient, SonicError, TCPConnector } from '../src/index.js'
import { activeNetAndTimers, netServer, sleep, type Running } from './helpers.js'

const SEED = parseSeed(process.env.SONIC_SOAK_SEED) ?? randomInt(0, 2 ** 31)
const N = Number(process.env.SONIC_SOAK_N ?? 50_000)
const IN_FLIGHT = 50
const POOL_SIZE = 10
const SOCK_READ = 250
/** No request may take longer than this to settle (the slowest misbehaviour is a stall of sockRead). */
const SETTLE_BOUND = 15_000

function parseSeed(text: string | undefined): number | null {
  if (text === undefined || text === '') return null
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`SONIC_SOAK_SEED must be an integer, got ${text}`)
  return n >>> 0
}

/** The codes of API.md's error table. */
const API_CODES = new Set([
  'SONIC_CONNECT_ERROR', 'SONIC_CONNECT_TIMEOUT', 'SONIC_READ_TIMEOUT', 'SONIC_REQUEST_TIMEOUT', 'SONIC_POOL_ACQUIRE_TIMEOUT',
  'SONIC_PARSE_ERROR', 'SONIC_CONNECTION_CLOSED', 'SONIC_MAX_REDIRECTS', 'SONIC_INVALID_ARGUMENT', 'SONIC_PROXY_ERROR',
  'SONIC_FINGERPRINT_MISMATCH', 'SONIC_RESPONSE_TOO_LARGE', 'SONIC_BODY_USED', 'SONIC_ABORTED', 'SONIC_CLIENT_CLOSED',
  'SONIC_DNS_ERROR', 'SONIC_HTTP2_ERROR', 'SONIC_HTTP_STATUS', 'SONIC_WEBSOCKET_ERROR', 'SONIC_MOCK_NOT_MATCHED',
])

/**
 * What the server does with a request. `good` ones answer it completely; the others fail it with
 * the code given. `idle-close` answers, then closes the connection after a short idle time;
 * `stale` answers, then closes the connection when the next request comes on it, unread (as a
 * keep-alive timeout that crosses the request): that next request is then retried if a GET.
 */
const BEHAVIOURS = {
  length: { weight: 26, good: true },
  chunked: { weight: 18, good: true },
  gzip: { weight: 8, good: true },
  slow: { weight: 3, good: true },
  close: { weight: 6, good: true },
  'idle-close': { weight: 8, good: true },
  stale: { weight: 8, good: true },
  'close-mid-body': { weight: 6, good: false, code: 'SONIC_CONNECTION_CLOSED' },
  'close-before': { weight: 5, good: false, code: 'SONIC_CONNECTION_CLOSED' },
  reset: { weight: 4, good: false, code: 'SONIC_CONNECTION_CLOSED' },
  garbage: { weight: 4, good: false, code: 'SONIC_PARSE_ERROR' },
  stall: { weight: 0.5, good: false, code: 'SONIC_READ_TIMEOUT' },
} as const
type Behaviour = keyof typeof BEHAVIOURS
const NAMES = Object.keys(BEHAVIOURS) as Behaviour[]
const TOTAL_WEIGHT = NAMES.reduce((n, b) => n + BEHAVIOURS[b].weight, 0)

function pickBehaviour(r: () => number): Behaviour {
  let x = r() * TOTAL_WEIGHT
  for (const b of NAMES) if ((x -= BEHAVIOURS[b].weight) < 0) return b
  return 'length'
}

/** The body the server sends for request `id`: its id repeated, 0 to ~24 KB (derived, not stored). */
function bodyOf(id: number): Buffer {
  const size = (Math.imul(id, 2654435761) >>> 0) % 97 === 0 ? 0 : (Math.imul(id, 40503) >>> 0) % (id % 10 === 0 ? 24_000 : 2_000)
  const unit = `<${id}>`
  return Buffer.from(unit.repeat(Math.ceil(size / unit.length)).slice(0, size), 'latin1')
}

/** The body a POST for request `id` sends. */
function uploadOf(id: number): string {
  return `upload-${id}-`.repeat(1 + (id % 50))
}

interface ServerStats {
  /** Complete requests received, by id. */
  received: Map<number, number>
  /** Requests answered completely (well-behaved answers), by id. */
  answered: Set<number>
  /** Server-side problems (a POST body that is not the one sent, an unparsable request). */
  problems: string[]
  sockets: Set<net.Socket>
}

/** A raw HTTP/1.1 server doing what each request's path says (`/soak/<id>/<behaviour>`). */
async function chaosServer(seed: number, stats: ServerStats): Promise<Running<net.Server>> {
  const r = prng(seed)
  return netServer((socket) => {
    // As node:http does: an answer in several writes must not wait for delayed ACKs (Nagle).
    socket.setNoDelay(true)
    stats.sockets.add(socket)
    socket.on('close', () => stats.sockets.delete(socket))
    socket.on('error', () => {})
    let buffered: Buffer = Buffer.alloc(0)
    let busy = false
    let closing = false
    let stale = false
    let idleTimer: NodeJS.Timeout | null = null
    const timers = new Set<NodeJS.Timeout>()
    const later = (ms: number, f: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t)
        if (!socket.destroyed) f()
      }, ms)
      timers.add(t)
    }
    socket.on('close', () => {
      for (const t of timers) clearTimeout(t)
      if (idleTimer !== null) clearTimeout(idleTimer)
    })
    const done = (keepAlive: boolean): void => {
      busy = false
      if (!keepAlive) {
        closing = true
        socket.end()
        return
      }
      if (buffered.length > 0) setImmediate(next)
    }
    const next = (): void => {
      if (busy || closing || socket.destroyed) return
      const headEnd = buffered.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      const head = buffered.subarray(0, headEnd).toString('latin1')
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
      if (/\r\ntransfer-encoding:/i.test(head)) stats.problems.push(`a chunked request: ${head.split('\r\n')[0]}`)
      if (buffered.length < headEnd + 4 + length) return
      const body = buffered.subarray(headEnd + 4, headEnd + 4 + length).toString('latin1')
      buffered = buffered.subarray(headEnd + 4 + length)
      const m = /^(GET|POST) \/soak\/(\d+)\/([a-z-]+) HTTP\/1\.1$/.exec(head.slice(0, head.indexOf('\r\n')))
      if (m === null) {
        stats.problems.push(`unexpected request line: ${head.slice(0, 200)}`)
        socket.destroy()
        return
      }
      const [, method, idText, behaviour] = m as unknown as [string, string, string, Behaviour]
      const id = Number(idText)
      stats.received.set(id, (stats.received.get(id) ?? 0) + 1)
      if (method === 'POST' && body !== uploadOf(id)) stats.problems.push(`POST ${id}: body of ${body.length} bytes is not the one sent`)
      busy = true
      answer(id, behaviour)
    }
    const head = (status: string, headers: string[]): string => `HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`
    const answer = (id: number, behaviour: Behaviour): void => {
      const body = bodyOf(id)
      switch (behaviour) {
        case 'length':
          socket.write(head('200 OK', [`Content-Length: ${body.length}`]))
          socket.write(body)
          stats.answered.add(id)
          return done(true)
        case 'chunked': {
          const parts: Buffer[] = [Buffer.from(head('200 OK', ['Transfer-Encoding: chunked']), 'latin1')]
          for (let at = 0; at < body.length; ) {
            const size = Math.min(body.length - at, 1 + Math.floor(r() * 3000))
            const ext = r() < 0.2 ? ';x="y"' : ''
            parts.push(Buffer.from(`${size.toString(16)}${ext}\r\n`, 'latin1'), body.subarray(at, at + size), Buffer.from('\r\n'))
            at += size
          }
          parts.push(Buffer.from(r() < 0.3 ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\n\r\n', 'latin1'))
          // Written in random pieces: the client must not care where reads end.
          const all = Buffer.concat(parts)
          for (let at = 0; at < all.length; ) {
            const size = 1 + Math.floor(r() * 4000)
            socket.write(all.subarray(at, at + size))
            at += size
          }
          stats.answered.add(id)
          return done(true)
        }
        case 'gzip': {
          const gz = gzipSync(body)
          const chunked = r() < 0.5
          if (chunked) socket.write(head('200 OK', ['Content-Encoding: gzip', 'Transfer-Encoding: chunked']) + `${gz.length.toString(16)}\r\n`)
          else socket.write(head('200 OK', ['Content-Encoding: gzip', `Content-Length: ${gz.length}`]))
          socket.write(gz)
          if (chunked) socket.write('\r\n0\r\n\r\n')
          stats.answered.add(id)
          return done(true)
        }
        case 'slow': {
          // The answer in a few pieces, each gap well under sockRead.
          const all = Buffer.concat([Buffer.from(head('200 OK', [`Content-Length: ${body.length}`]), 'latin1'), body])
          const cuts = [0, ...Array.from({ length: 3 }, () => Math.floor(r() * all.length)).sort((a, b) => a - b), all.length]
          const send = (i: number): void => {
            if (i + 1 >= cuts.length) {
              stats.answered.add(id)
              return done(true)
            }
            socket.write(all.subarray(cuts[i], cuts[i + 1]))
            later(2 + Math.floor(r() * 20), () => send(i + 1))
          }
          return send(0)
        }
        case 'close':
          socket.write(head('200 OK', [`Content-Length: ${body.length}`, 'Connection: close']))
          socket.write(body)
          stats.answered.add(id)
          return done(false)
        case 'stale':
          socket.write(head('200 OK', [`Content-Length: ${body.length}`]))
          socket.write(body)
          stats.answered.add(id)
          stale = true
          return done(true)
        case 'idle-close':
          socket.write(head('200 OK', [`Content-Length: ${body.length}`, 'Connection: keep-alive']))
          socket.write(body)
          stats.answered.add(id)
          done(true)
          // Closed while idle, unless another request comes first: a later request on this
          // connection may meet the close (a GET is retried once on a new connection).
          if (idleTimer !== null) clearTimeout(idleTimer)
          idleTimer = setTimeout(() => {
            idleTimer = null
            if (!busy && buffered.length === 0 && !socket.destroyed) {
              closing = true
              socket.end()
            }
          }, Math.floor(r() * 30))
          return
        case 'close-mid-body': {
          const length = Math.max(body.length, 10)
          const sent = Math.floor(r() * length)
          socket.write(head('200 OK', [`Content-Length: ${length}`]))
          socket.write(Buffer.concat([body, Buffer.alloc(10, 0x2e)]).subarray(0, sent))
          return done(false)
        }
        case 'close-before':
          return done(false)
        case 'reset':
          closing = true
          socket.resetAndDestroy()
          return
        case 'garbage':
          socket.write(pickGarbage(r))
          return done(false)
        case 'stall':
          // Part of the head, then nothing: the client's sockRead fires.
          socket.write('HTTP/1.1 200 OK\r\nContent-Len')
          closing = true
          return
      }
    }
    socket.on('data', (chunk: Buffer) => {
      if (closing) return
      if (stale) {
        closing = true
        socket.end()
        return
      }
      if (idleTimer !== null) {
        clearTimeout(idleTimer)
        idleTimer = null
      }
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      next()
    })
    socket.on('end', () => {
      closing = true
      if (!busy) socket.end()
    })
  })
}

const GARBAGE = [
  'SMTP ready\r\n\r\n',
  'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  'HTTP/3.0 200 OK\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n',
  '\x00\x01\x02\x03',
  'HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n',
]
const pickGarbage = (r: () => number): string => GARBAGE[Math.floor(r() * GARBAGE.length)]!

function fdCount(): number {
  return readdirSync('/proc/self/fd').length
}

interface Outcome {
  id: number
  method: 'GET' | 'POST'
  behaviour: Behaviour
  origin: string
  ok: boolean
  error?: unknown
  /** Set when a body was read that is not the server's. */
  wrongBody?: string
  hung?: boolean
  /** Time to settle. */
  ms: number
}

describe('chaos soak', () => {
  it(`${N} requests against misbehaving servers: typed errors, right bodies, no double POST, no leaks`, async () => {
    console.log(`chaos soak: SONIC_SOAK_SEED=${SEED} SONIC_SOAK_N=${N}`)
    const started = performance.now()
    const stats: ServerStats = { received: new Map(), answered: new Set(), problems: [], sockets: new Set() }
    const servers = [await chaosServer(SEED ^ 0x1111, stats), await chaosServer(SEED ^ 0x2222, stats)]
    const fdsBefore = fdCount()
    const handlesBefore = activeNetAndTimers().length
    const client = new HTTPClient({
      connector: new TCPConnector({
        poolConfigs: { ':default': { size: POOL_SIZE } },
        timeouts: { sockConnect: 2000, sockRead: SOCK_READ, requestTimeout: 10_000 },
      }),
    })
    const schedule = prng(SEED)
    const plan = Array.from({ length: N }, (_, id) => ({
      id,
      method: (schedule() < 0.3 ? 'POST' : 'GET') as 'GET' | 'POST',
      behaviour: pickBehaviour(schedule),
      server: servers[Math.floor(schedule() * servers.length)]!,
    }))
    const outcomes: Outcome[] = []
    const one = async ({ id, method, behaviour, server }: (typeof plan)[number]): Promise<Outcome> => {
      const t0 = performance.now()
      const outcome: Outcome = { id, method, behaviour, origin: server.url, ok: false, ms: 0 }
      try {
        const res = await client.request(`${server.url}/soak/${id}/${behaviour}`, method === 'POST' ? { method, data: uploadOf(id) } : { method })
        const body = Buffer.from(await res.bytes())
        const expected = bodyOf(id)
        if (res.status !== 200 || !body.equals(expected)) {
          outcome.wrongBody = `status ${res.status}, ${body.length} bytes ${JSON.stringify(body.subarray(0, 60).toString('latin1'))}, expected ${expected.length} bytes`
        }
        outcome.ok = true
      } catch (error) {
        outcome.error = error
      }
      outcome.ms = performance.now() - t0
      return outcome
    }
    const bounded = (job: (typeof plan)[number]): Promise<Outcome> => {
      let timer: NodeJS.Timeout | undefined
      const hung = new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ id: job.id, method: job.method, behaviour: job.behaviour, origin: job.server.url, ok: false, hung: true, ms: SETTLE_BOUND }), SETTLE_BOUND)
      })
      return Promise.race([one(job), hung]).finally(() => clearTimeout(timer))
    }
    let nextJob = 0
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (nextJob < plan.length) outcomes.push(await bounded(plan[nextJob++]!))
      }),
    )
    const requestsDone = performance.now()
    await client.close()
    // Settle: the servers see the closes, sockets and timers go.
    let fdsAfter = fdCount()
    let handlesAfter = activeNetAndTimers().length
    for (let waited = 0; waited < 3000 && (fdsAfter > fdsBefore || handlesAfter > handlesBefore); waited += 50) {
      await sleep(50)
      fdsAfter = fdCount()
      handlesAfter = activeNetAndTimers().length
    }
    const serverSockets = stats.sockets.size
    for (const s of servers) await s.close()

    // ---- report ----
    const by = new Map<string, number[]>()
    for (const o of outcomes) {
      const key = `${o.behaviour} ${o.method} ${o.ok ? 'ok' : o.hung ? 'HUNG' : ((o.error as SonicError)?.code ?? 'untyped')}`
      let times = by.get(key)
      if (times === undefined) by.set(key, (times = []))
      times.push(o.ms)
    }
    const line = ([key, times]: [string, number[]]): string => {
      times.sort((a, b) => a - b)
      return `${key}: ${times.length} (median ${times[times.length >> 1]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms)`
    }
    const ok = outcomes.filter((o) => o.ok).length
    console.log(
      `chaos soak: ${outcomes.length} requests in ${((requestsDone - started) / 1000).toFixed(1)} s (${ok} ok); ` +
        `fds ${fdsBefore} → ${fdsAfter}, sockets/timers ${handlesBefore} → ${handlesAfter}, server sockets left ${serverSockets}\n  ` +
        [...by].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(line).join('\n  '),
    )

    // ---- properties ----
    const failures: string[] = []
    const fail = (o: Outcome, why: string): void => {
      const e = o.error as (SonicError & { beforeResponse?: boolean; cause?: unknown }) | undefined
      const detail = `server received ${stats.received.get(o.id) ?? 0}×${e?.beforeResponse === undefined ? '' : `, beforeResponse ${e.beforeResponse}`}${e?.cause === undefined ? '' : `, cause ${String((e.cause as Error)?.message ?? e.cause)}`}`
      failures.push(`#${o.id} ${o.method} ${o.behaviour} (${o.origin}): ${why} [${detail}]`)
    }
    for (const o of outcomes) {
      const spec = BEHAVIOURS[o.behaviour]
      // Attempts that reached the server (a request the server closed before reading never did).
      const received = stats.received.get(o.id) ?? 0
      if (o.hung) fail(o, `did not settle within ${SETTLE_BOUND} ms`)
      else if (o.wrongBody !== undefined) fail(o, `wrong body: ${o.wrongBody}`)
      else if (!o.ok) {
        const e = o.error as SonicError & { beforeResponse?: boolean }
        const code = e?.code
        if (!(e instanceof SonicError)) fail(o, `not a SonicError: ${String((e as Error)?.stack ?? e)}`)
        else if (!API_CODES.has(code)) fail(o, `code ${code} is not in API.md's table: ${e.message}`)
        else if (!e.message.includes(o.origin.replace('http://', ''))) fail(o, `the error does not name the request's origin: ${e.message}`)
        else if (received === 0) {
          // Sent on a keep-alive connection the server closed while idle, before reading it: a
          // POST fails so (never resent); a GET is resent once on a new connection, which the
          // server reads — so a GET never gets here.
          if (o.method === 'GET') fail(o, `the GET never reached the server: the stale-connection retry did not send it on a new connection (${code}): ${e.message}`)
          else if (code !== 'SONIC_CONNECTION_CLOSED' || e.beforeResponse !== true) fail(o, `a POST the server never read failed with ${code}: ${e.message}`)
        } else if (spec.good) fail(o, `a well-behaved answer failed (${code}${stats.answered.has(o.id) ? ', though the server answered it' : ''}): ${e.message}`)
        else if (code !== spec.code) fail(o, `expected ${spec.code}, got ${code}: ${e.message}`)
      } else if (!spec.good) fail(o, 'succeeded, though the server misbehaved')
      if (o.method === 'POST' && received > 1) fail(o, `the POST reached the server ${received} times`)
      if (o.method === 'GET' && received > 2) fail(o, `the GET reached the server ${received} times (one retry at most)`)
    }
    expect(outcomes).toHaveLength(N)
    expect(stats.problems.slice(0, 10), 'server-side problems').toEqual([])
    if (failures.length > 0) {
      const kinds = new Map<string, number>()
      for (const f of failures) {
        const kind = f.replace(/^#\d+ \S+ \S+ \([^)]*\): /, '').replace(/ \[.*$/, '').replace(/\d+/g, 'N').replace(/\((GET|POST) http:\S+\)/g, '(…)')
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      }
      console.log(`chaos soak: ${failures.length} failures:\n  ${[...kinds].map(([k, n]) => `${n}× ${k}`).join('\n  ')}`)
    }
    expect(failures.slice(0, 20), `SONIC_SOAK_SEED=${SEED}: ${failures.length} failures`).toEqual([])
    // Most requests get through: the schedule is mostly well-behaved answers.
    expect(ok).toBeGreaterThan(N * 0.6)
    expect(fdsAfter, `open fds after close (SONIC_SOAK_SEED=${SEED})`).toBeLessThanOrEqual(fdsBefore)
    expect(handlesAfter, `active sockets/timers after close (SONIC_SOAK_SEED=${SEED})`).toBeLessThanOrEqual(handlesBefore)
  }, 120_000)
})
