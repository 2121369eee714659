// --server nginx: the generated config, and a real nginx started, probed and stopped (nothing left
// running, no handle left open). The start/stop tests need nginx on PATH (apt-get install nginx).
import { ALL_HANDLES, createLeakCheck } from '@sonic/test-utils'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../src/args.js'
import { runBench, type Out } from '../src/bench.js'
import { probe } from '../src/ceiling.js'
import { BASELINE, PEERS } from '../src/peers/index.js'
import { affinity } from '../src/pinning.js'
import { NGINX_PATHS, childPids, nginxConfig, parseNginxVersion, startNginx } from '../src/nginx.js'
import { SIZE_1M, SMALL_BODY } from '../src/server-responses.js'
import { findOnPath } from '../src/tinyproxy.js'
import { WORKLOADS } from '../src/workloads.js'

const nginx = findOnPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined)
const taskset = findOnPath('taskset')
const leaks = createLeakCheck({ ours: (s) => s.includes('/apps/bench/src/'), handles: [...ALL_HANDLES, 'ProcessWrap'] })
const cleanups = leaks.useCleanups()

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const get = (path: string, host = '127.0.0.1', port = 80): Buffer => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`, 'latin1')

describe('nginxConfig', () => {
  const conf = nginxConfig({ port: 43123, dir: '/tmp/x' })

  it('runs one worker in the foreground with every path inside the temp dir and no access log', () => {
    expect(conf).toContain('daemon off;')
    expect(conf).toContain('worker_processes 1;')
    expect(conf).toContain('pid /tmp/x/nginx.pid;')
    expect(conf).toContain('error_log /tmp/x/error.log warn;')
    expect(conf).toContain('access_log off;')
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(conf).toContain(`${t}_temp_path /tmp/x/${t};`)
    expect(conf).toContain('listen 127.0.0.1:43123;')
    expect(conf).toContain('root /tmp/x/www;')
    expect(conf).not.toMatch(/^user /m)
    expect(nginxConfig({ port: 1, dir: '/d', user: 'root' })).toMatch(/^user root;$/m)
  })

  it('keeps connections for the whole run', () => {
    const timeout = Number(/keepalive_timeout (\d+)s;/.exec(conf)?.[1])
    const requests = Number(/keepalive_requests (\d+);/.exec(conf)?.[1])
    expect(timeout).toBeGreaterThanOrEqual(120)
    expect(requests).toBeGreaterThanOrEqual(10_000_000)
  })

  it('serves every static workload route and none of the dynamic ones', () => {
    for (const w of WORKLOADS) {
      expect(NGINX_PATHS.includes(w.path), w.name).toBe(!w.dynamic)
      if (!w.dynamic) expect(conf).toContain(`location = ${w.path} `)
    }
  })

  it('reads the version nginx -v prints', () => {
    expect(parseNginxVersion('nginx version: nginx/1.22.1\n')).toBe('1.22.1')
    expect(parseNginxVersion('nonsense')).toBe('unknown')
  })
})

describe.skipIf(nginx === undefined)('startNginx (a real nginx)', () => {
  it('answers the routes (chunked-1m chunked), 404 elsewhere, and stop() leaves nothing running', async () => {
    const n = await startNginx(nginx!)
    let stopped = false
    cleanups.push(() => (stopped ? undefined : n.stop()))
    expect(n.origin).toBe(`http://127.0.0.1:${n.port}`)
    expect(n.version).toMatch(/^\d+\.\d+/)
    const workers = childPids(n.pid)
    expect(workers).toHaveLength(1)

    const small = await probe('127.0.0.1', n.port, get('/small'))
    expect(small).toMatchObject({ status: 200, chunked: false })
    expect(small.responseLength).toBeGreaterThan(SMALL_BODY.length)
    const chunked = await probe('127.0.0.1', n.port, get('/chunked-1m'))
    expect(chunked).toMatchObject({ status: 200, chunked: true })
    expect(chunked.responseLength).toBeGreaterThan(SIZE_1M)
    const big = await probe('127.0.0.1', n.port, get('/1m'))
    expect(big).toMatchObject({ status: 200, chunked: false })
    expect((await probe('127.0.0.1', n.port, get('/echo'))).status).toBe(404)

    await n.stop()
    stopped = true
    expect(alive(n.pid)).toBe(false)
    for (const w of workers) expect(alive(w)).toBe(false)
  })

  it.skipIf(taskset === undefined)('pins master and worker to the CPU it is given', async () => {
    const n = await startNginx(nginx!, { cpu: 0, taskset: taskset! })
    cleanups.push(() => n.stop())
    expect(n.cpu).toBe(0)
    const { execFileSync } = await import('node:child_process')
    for (const pid of [n.pid, ...childPids(n.pid)]) {
      expect(execFileSync(taskset!, ['-pc', String(pid)], { encoding: 'utf8' })).toMatch(/list: 0\s*$/)
    }
  })

  it('fails with nginx\'s own message when it cannot start', async () => {
    // A binary that is not nginx: spawn works, the port never opens, the process exits.
    await expect(startNginx('/bin/false', { timeoutMs: 3000 })).rejects.toThrow(/nginx exited before it listened|did not listen/)
  })
})

describe.skipIf(nginx === undefined)('runBench --server nginx', () => {
  const quiet = (): Out & { text: () => string } => {
    let buf = ''
    return { line: (t = '') => void (buf += `${t}\n`), write: (t) => void (buf += t), text: () => buf }
  }

  it('sends the static routes to its nginx and the dynamic ones to the embedded server, pinned, in worker processes, and stops both', async () => {
    const known = { peers: PEERS.map((p) => p.name), workloads: WORKLOADS.map((w) => w.name) }
    const options = parseArgs(['--server', 'nginx', '--rounds', '2', '--duration', '40', '--warmup', '20', '--ceiling', '30'], known)
    const out = quiet()
    const before = taskset !== undefined ? affinity(taskset) : []
    const workloads = WORKLOADS.filter((w) => w.name === 'chunked-1m' || w.name === 'json-1k')
    const report = await runBench({ options, peers: PEERS.filter((p) => p.name === 'undici-request' || p.name === 'sonic'), workloads, baseline: BASELINE }, out)
    const text = out.text()

    expect(report.server).toMatchObject({ kind: 'nginx', version: expect.stringMatching(/^\d/), embeddedOrigin: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })
    const [chunked, json] = report.workloads
    expect(chunked).toMatchObject({ name: 'chunked-1m', server: 'nginx' })
    expect(chunked!.ceiling?.note).toBeUndefined() // nginx answered chunked
    expect(json).toMatchObject({ name: 'json-1k', server: 'embedded', serverNote: 'nginx cannot answer POST /json: the embedded server answers it' })
    for (const w of report.workloads) {
      for (const c of w.clients) {
        expect(c.status, `${w.name} ${c.name}`).toBe('ok')
        expect(c.cpuUsPerReq.median).toBeGreaterThan(0)
        expect(c.roundsCpuUs).toHaveLength(2)
      }
      const base = w.clients.find((c) => c.name === BASELINE)!
      expect(base.cpuRatios).toEqual([1, 1])
    }
    expect(report.environment.isolation).toBe('process')
    expect(report.environment.clients).toMatchObject({ node: process.versions.node })
    expect(text).toMatch(/server: nginx \d[^,]*, pid \d+/)
    expect(text).toContain('CPU µs/req')
    expect(text).toContain('server: embedded (nginx cannot answer POST /json')

    const nginxPid = report.server.pid!
    expect(alive(nginxPid)).toBe(false)
    if (taskset !== undefined && report.environment.cpus >= 2) {
      expect(report.environment.pinning).toMatchObject({ serverCpu: expect.any(Number), clientCpus: expect.any(Array) })
      expect(text).toMatch(/pinned with taskset: server on CPU \d+, clients on CPU \d/)
      // The bench's own process gets its affinity back at the end.
      expect(affinity(taskset)).toEqual(before)
    }
  })
})

describe.skipIf(nginx === undefined)('dist/fairness.js', () => {
  it('measures undici standalone, in a worker and inline against its own nginx, and leaves nothing running', async () => {
    const { execFile } = await import('node:child_process')
    const { fileURLToPath } = await import('node:url')
    const script = fileURLToPath(new URL('../dist/fairness.js', import.meta.url))
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script, '--duration', '150', '--rounds', '1'], { timeout: 50_000 }, (err, out, errText) => (err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(out)))
    })
    expect(stdout).toMatch(/against nginx \d/)
    for (const row of ['standalone', 'worker', 'worker, short', 'inline, after sonic']) expect(stdout).toMatch(new RegExp(`\\n\\s+${row}\\s+[\\d,]+\\s+\\d+ %\\s+[\\d.]+`))
    expect(stdout).toMatch(/\n\s+standalone\s+[\d,]+\s+100 %/)
    // No nginx of a bench (they run from a sonic-bench-nginx-* temp dir) is left.
    const { readdirSync, readFileSync } = await import('node:fs')
    const left = readdirSync('/proc').filter((p) => {
      if (!/^\d+$/.test(p)) return false
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes('sonic-bench-nginx-')
      } catch {
        return false
      }
    })
    expect(left).toEqual([])
  })
})
