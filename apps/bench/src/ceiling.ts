// The server's own ceiling: a raw socket client that writes a workload's request and counts
// answers by their known length (no parsing), plus `wrk` when it is installed.
import { execFile, spawnSync } from 'node:child_process'
import net from 'node:net'
import { delimiter, join } from 'node:path'
import { existsSync } from 'node:fs'

/** What a probe learnt about one route's answer. */
export interface ProbeResult {
  readonly status: number
  /** Total bytes of the answer, head included: every answer to this request has this length. */
  readonly responseLength: number
  readonly chunked: boolean
}

/** Offset just past the end of a chunked body starting at `start`, or -1 if not all there yet. */
export function chunkedEnd(buf: Buffer, start: number): number {
  let off = start
  for (;;) {
    const eol = buf.indexOf('\r\n', off, 'latin1')
    if (eol === -1) return -1
    const size = parseInt(buf.toString('latin1', off, eol).split(';')[0]!.trim(), 16)
    if (Number.isNaN(size)) throw new Error('malformed chunked framing')
    off = eol + 2
    if (size === 0) {
      for (;;) {
        const end = buf.indexOf('\r\n', off, 'latin1')
        if (end === -1) return -1
        if (end === off) return off + 2
        off = end + 2
      }
    }
    if (buf.length < off + size + 2) return -1
    off += size + 2
  }
}

/** Sends `request` once on a fresh connection and measures the full answer. */
export function probe(host: string, port: number, request: Buffer, timeoutMs = 5000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    let buf = Buffer.alloc(0)
    const fail = (err: Error): void => {
      socket.destroy()
      reject(err)
    }
    socket.setTimeout(timeoutMs, () => fail(new Error(`no complete answer from ${host}:${port} within ${timeoutMs} ms`)))
    socket.on('error', fail)
    socket.on('close', () => reject(new Error(`${host}:${port} closed the connection before a complete answer`)))
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const headEnd = buf.indexOf('\r\n\r\n', 0, 'latin1')
      if (headEnd === -1) return
      const head = buf.toString('latin1', 0, headEnd)
      const status = Number(head.slice(9, 12))
      const lower = head.toLowerCase()
      const chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(lower)
      let total = -1
      if (chunked) {
        const end = chunkedEnd(buf, headEnd + 4)
        if (end !== -1) total = end
      } else {
        const m = /\r\ncontent-length:\s*(\d+)/.exec(lower)
        if (!m) return fail(new Error('the answer has neither content-length nor chunked framing'))
        if (buf.length >= headEnd + 4 + Number(m[1])) total = headEnd + 4 + Number(m[1])
      }
      if (total === -1) return
      socket.destroy()
      resolve({ status, responseLength: total, chunked })
    })
  })
}

/** Result of the raw-socket ceiling measurement. */
export interface RawCeiling {
  readonly connections: number
  readonly requests: number
  readonly elapsedMs: number
  readonly rps: number
}

/**
 * Opens `connections` sockets, then for `durationMs` keeps one request in flight on each,
 * counting answers by `responseLength`. Nothing is parsed.
 */
export async function rawCeiling(opts: {
  host: string
  port: number
  request: Buffer
  responseLength: number
  connections: number
  durationMs: number
}): Promise<RawCeiling> {
  const { host, port, request, responseLength, connections, durationMs } = opts
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host, port, noDelay: true }, () => {
            s.off('error', reject)
            resolve(s)
          })
          s.once('error', reject)
        }),
    ),
  )
  let requests = 0
  const start = performance.now()
  const deadline = start + durationMs
  try {
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            let received = 0
            socket.on('error', reject)
            socket.on('close', () => reject(new Error('the server closed a connection during the ceiling run')))
            socket.on('data', (chunk: Buffer) => {
              received += chunk.length
              while (received >= responseLength) {
                received -= responseLength
                requests++
                if (performance.now() < deadline) socket.write(request)
                else if (received === 0) return resolve()
                else return reject(new Error('more bytes than one answer: responses are not of a fixed length'))
              }
            })
            socket.write(request)
          }),
      ),
    )
  } finally {
    for (const s of sockets) s.destroy()
  }
  const elapsedMs = performance.now() - start
  return { connections, requests, elapsedMs, rps: (requests * 1000) / elapsedMs }
}

/** Path of `wrk` when it is on PATH (not installed by the bench). */
export function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, 'wrk')
    if (existsSync(candidate)) {
      const r = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 5000 })
      if (r.error === undefined) return candidate
    }
  }
  return undefined
}

/** Runs `wrk -t1 -cN -dSs url`; resolves with its Requests/sec. */
export function runWrk(wrk: string, url: string, connections: number, durationMs: number): Promise<number> {
  const seconds = Math.max(1, Math.round(durationMs / 1000))
  return new Promise((resolve, reject) => {
    execFile(wrk, ['-t1', `-c${connections}`, `-d${seconds}s`, url], { timeout: (seconds + 15) * 1000 }, (err, stdout) => {
      if (err) return reject(err)
      const m = /Requests\/sec:\s*([\d.]+)/.exec(stdout)
      if (!m) return reject(new Error(`could not read wrk's output: ${stdout.trim()}`))
      resolve(Number(m[1]))
    })
  })
}
