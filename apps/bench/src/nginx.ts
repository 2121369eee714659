// `--server nginx`: the bench starts its own nginx (never installs it) as the current user, from a
// config it writes into a temp dir: the static routes as files, one worker, generous keep-alive,
// no access log, every path (pid, error log, temp folders) inside that dir, `daemon off` so the
// master stays our child. Routes nginx cannot answer (POST /echo, POST /json) stay on the
// embedded server. nginx is stopped when the run ends, also on errors, exit and SIGINT/SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { SIZE_1M, SIZE_64K, SMALL_BODY, filler } from './server-responses.js'
import { freePort, waitForPort } from './tinyproxy.js'

/** The files nginx serves from its root: the same bytes as the embedded server's answers. */
export const NGINX_FILES: ReadonlyArray<readonly [name: string, body: () => Buffer]> = [
  ['small', () => Buffer.from(SMALL_BODY, 'latin1')],
  ['64k', () => filler(SIZE_64K)],
  ['1m', () => filler(SIZE_1M)],
  ['chunked-1m', () => filler(SIZE_1M)],
]

/** Paths nginx answers (the rest of the bench's routes need the embedded server). */
export const NGINX_PATHS: readonly string[] = NGINX_FILES.map(([name]) => `/${name}`)

/** Options of the generated config. */
export interface NginxConfigOptions {
  readonly port: number
  /** The temp dir: pid file, error log, temp folders and `www/` (the root) live here. */
  readonly dir: string
  /** `user` directive, only written when nginx starts as root (its workers would else be `nobody`). */
  readonly user?: string
  /** A second server block for the h2 workloads: `listen <port> ssl http2` with this certificate. */
  readonly h2?: { readonly port: number; readonly certPath: string; readonly keyPath: string }
}

/** The nginx.conf the bench runs. */
export function nginxConfig(o: NginxConfigOptions): string {
  const d = o.dir
  return [
    ...(o.user !== undefined ? [`user ${o.user};`] : []),
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `pid ${d}/nginx.pid;`,
    `error_log ${d}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    '  server_tokens off;',
    '  default_type application/octet-stream;',
    '  sendfile on;',
    '  tcp_nopush off;',
    '  tcp_nodelay on;',
    // Clients keep their sockets between rounds; the default of 1000 requests would reconnect mid-run.
    '  keepalive_timeout 300s;',
    '  keepalive_requests 100000000;',
    `  client_body_temp_path ${d}/client_body;`,
    `  proxy_temp_path ${d}/proxy;`,
    `  fastcgi_temp_path ${d}/fastcgi;`,
    `  uwsgi_temp_path ${d}/uwsgi;`,
    `  scgi_temp_path ${d}/scgi;`,
    '  server {',
    `    listen 127.0.0.1:${o.port};`,
    `    root ${d}/www;`,
    '    location = /small { }',
    '    location = /64k { }',
    '    location = /1m { }',
    // sub_filter drops Content-Length, so nginx answers HTTP/1.1 clients chunked (the filter
    // itself matches nothing and changes no byte).
    '    location = /chunked-1m {',
    '      sub_filter_types *;',
    '      sub_filter_once on;',
    "      sub_filter 'no-such-text-in-the-body' 'no-such-text-in-the-body';",
    '    }',
    '    location / { return 404; }',
    '  }',
    ...(o.h2 !== undefined
      ? [
          '  server {',
          // nginx 1.22 syntax (the `http2 on;` directive came in 1.25.1).
          `    listen 127.0.0.1:${o.h2.port} ssl http2;`,
          `    ssl_certificate ${o.h2.certPath};`,
          `    ssl_certificate_key ${o.h2.keyPath};`,
          '    http2_max_concurrent_streams 128;',
          `    root ${d}/www;`,
          '    location = /small { }',
          '    location = /64k { }',
          '    location = /1m { }',
          '    location / { return 404; }',
          '  }',
        ]
      : []),
    '}',
    '',
  ].join('\n')
}

/** Writes the root's files and the config into `dir`; returns the config's path. */
export function writeNginxDir(dir: string, port: number, user?: string, h2?: NginxConfigOptions['h2']): string {
  const www = join(dir, 'www')
  mkdirSync(www, { recursive: true })
  for (const [name, body] of NGINX_FILES) writeFileSync(join(www, name), body())
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, nginxConfig({ port, dir, ...(user !== undefined && { user }), ...(h2 !== undefined && { h2 }) }))
  return conf
}

/** An nginx started by the bench. */
export interface NginxProcess {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly port: number
  /** The master's pid (its worker is its child). */
  readonly pid: number
  /** `nginx -v`'s version, e.g. `1.22.1`. */
  readonly version: string
  /** CPU the master and its worker are pinned to, when they are. */
  readonly cpu?: number
  /** `https://127.0.0.1:<port>` of the h2 server block, when started with `h2`. */
  readonly h2Origin?: string
  /** Stops master and worker, waits for them, removes the temp dir. */
  stop(): Promise<void>
}

// Every nginx still running, killed (the whole process group) if the bench exits first.
const running = new Map<ChildProcess, string>()
const killGroup = (child: ChildProcess, signal: NodeJS.Signals): void => {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}
const killAll = (): void => {
  for (const [child, dir] of running) {
    killGroup(child, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  running.clear()
}
const onSignal = (signal: NodeJS.Signals): void => {
  killAll()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.kill(process.pid, signal)
}

/** nginx's version from `nginx -v` (it prints to stderr), e.g. `1.22.1`. */
export function parseNginxVersion(text: string): string {
  return /nginx\/(\S+)/.exec(text)?.[1] ?? 'unknown'
}

/** Pids of the children of `pid` (Linux /proc), e.g. the nginx worker of a master. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Starts `binary` with a fresh temp dir and config on a free port, pinned to `cpu` with
 * `taskset` when both are given, and resolves once it accepts connections.
 */
export async function startNginx(binary: string, opts: { cpu?: number; taskset?: string; timeoutMs?: number; h2?: { certPath: string; keyPath: string } } = {}): Promise<NginxProcess> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sonic-bench-nginx-'))
  const user = process.getuid?.() === 0 ? userInfo().username : undefined
  const h2Port = opts.h2 !== undefined ? await freePort() : undefined
  const conf = writeNginxDir(dir, port, user, opts.h2 !== undefined ? { port: h2Port!, ...opts.h2 } : undefined)
  const version = await new Promise<string>((resolve) => {
    const v = spawn(binary, ['-v'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let text = ''
    v.stderr!.setEncoding('utf8').on('data', (s: string) => (text += s))
    v.once('error', () => resolve('unknown'))
    v.once('close', () => resolve(parseNginxVersion(text)))
  })
  const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf]
  const pinned = opts.cpu !== undefined && opts.taskset !== undefined
  const [cmd, argv] = pinned ? [opts.taskset!, ['-c', String(opts.cpu), binary, ...args]] : [binary, args]
  // Its own process group, so that a kill reaches the worker too.
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  if (running.size === 0) {
    process.on('exit', killAll)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  running.set(child, dir)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 2000) stderr += s
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  let spawnError: Error | undefined
  child.once('error', (err) => {
    spawnError = err
  })
  const alive = (): boolean => spawnError === undefined && child.exitCode === null && child.signalCode === null
  const stop = async (): Promise<void> => {
    const workers = child.pid !== undefined ? childPids(child.pid) : []
    if (alive()) {
      // SIGTERM: fast shutdown of master and worker; SIGKILL to the group if that hangs.
      child.kill('SIGTERM')
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    }
    for (const w of workers) {
      try {
        process.kill(w, 'SIGKILL')
      } catch {
        // exited with its master, as it should
      }
    }
    running.delete(child)
    if (running.size === 0) {
      process.off('exit', killAll)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, timeoutMs, alive, 'nginx')
    if (h2Port !== undefined) await waitForPort(h2Port, timeoutMs, alive, 'nginx')
  } catch (err) {
    let log = ''
    try {
      log = readFileSync(join(dir, 'error.log'), 'utf8').trim()
    } catch {
      // no log yet
    }
    await stop()
    const why = spawnError?.message ?? (err as Error).message
    const detail = [stderr.trim(), log].filter(Boolean).join('\n')
    throw new Error(detail ? `${why}: ${detail}` : why)
  }
  return { origin: `http://127.0.0.1:${port}`, port, pid: child.pid ?? -1, version, ...(pinned && { cpu: opts.cpu! }), ...(h2Port !== undefined && { h2Origin: `https://127.0.0.1:${h2Port}` }), stop }
}
