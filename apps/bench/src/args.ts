// Command-line options of the bench app.
import { InvalidArgumentError } from '@sonic/core'

/** Normalised options of one bench run. */
export interface BenchOptions {
  /** Short run for CI: 1 warm-up, 3 rounds, 150 ms per run. */
  readonly quick: boolean
  /** Measured rounds; in each, every client runs once. @default 5 (3 with --quick) */
  readonly rounds: number
  /** Length of one measured run, ms. @default 500 (150 with --quick) */
  readonly durationMs: number
  /** Length of the warm-up run before the rounds, ms. @default 300 (100 with --quick) */
  readonly warmupMs: number
  /** Length of each server-ceiling measurement, ms. @default 1000 (150 with --quick) */
  readonly ceilingMs: number
  /** Peer names to run; empty = all. */
  readonly only: readonly string[]
  /** Workload names to run; empty = all. */
  readonly workloads: readonly string[]
  /** Outside server to use instead of starting ours, e.g. `http://127.0.0.1:8080`. */
  readonly target: string | undefined
  /** Folder for the JSON and SVG results; default: <repo>/bench/results. */
  readonly outDir: string | undefined
  /** Which server answers: the embedded raw-net server, or an nginx the bench starts. @default 'embedded' */
  readonly server: 'embedded' | 'nginx'
  /** Node binary the client workers (and the embedded server) run on; default: this process's (also env BENCH_NODE). */
  readonly node: string | undefined
  /** Run every client inside the bench's own process instead of a worker process each. @default false */
  readonly inline: boolean
  /** Pin server and clients to different CPUs with taskset (when there are two). @default true */
  readonly pin: boolean
  /** Print usage and exit. */
  readonly help: boolean
}

export const USAGE = `usage: node --expose-gc dist/main.js [options]

  --quick             short run (1 warm-up, 3 rounds, 150 ms runs): checks the app works
  --rounds N          measured rounds (default 5; 3 with --quick)
  --duration MS       length of each measured run (default 500; 150 with --quick)
  --warmup MS         warm-up run per client and workload (default 300; 100 with --quick)
  --ceiling MS        length of each server-ceiling measurement (default 1000; 150 with --quick)
  --only a,b          run only these clients (the workloads' baselines are always added:
                      undici-request, and undici-proxy for proxy-small)
  --workloads x,y     run only these workloads (proxy-small, through tinyproxy, is not in --quick:
                      it runs in the full run or when named here; the group name h2 selects
                      h2-small-1, h2-small-100, h2-download-1m, which are not in --quick either)
  --target URL        benchmark an outside server serving the same routes (ours is not started)
  --out DIR           where to write the JSON and SVG (default: <repo>/bench/results)
  --server KIND       embedded (default: the raw-net bench server) or nginx (the bench starts its
                      own nginx, which must be on PATH; POST /echo and /json stay on the embedded one)
  --node PATH         Node binary for the client workers and the embedded server (env BENCH_NODE)
  --inline            run the clients in the bench's own process, not one worker process each
  --no-pin            do not pin server and clients to different CPUs (taskset)
  --help              this text`

const VALUE_FLAGS = new Set(['rounds', 'duration', 'warmup', 'ceiling', 'only', 'workloads', 'target', 'out', 'server', 'node'])
const BOOL_FLAGS = new Set(['quick', 'help', 'inline', 'no-pin'])

function positiveInt(flag: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new InvalidArgumentError(`--${flag} expects an integer >= ${min}, got "${raw}"`)
  }
  return Number(raw)
}

function list(flag: string, raw: string, known: readonly string[]): string[] {
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean)
  if (names.length === 0) throw new InvalidArgumentError(`--${flag} expects a comma-separated list`)
  for (const n of names) {
    if (!known.includes(n)) throw new InvalidArgumentError(`--${flag}: unknown "${n}" (known: ${known.join(', ')})`)
  }
  return [...new Set(names)]
}

/** Parses argv (without node and the script). `peers`/`workloads` are the known names. */
export function parseArgs(
  argv: readonly string[],
  known: { peers: readonly string[]; workloads: readonly string[] },
  env: Readonly<Record<string, string | undefined>> = {},
): BenchOptions {
  const values = new Map<string, string>()
  const bools = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    if (!arg.startsWith('--')) throw new InvalidArgumentError(`unexpected argument "${arg}"\n${USAGE}`)
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    if (BOOL_FLAGS.has(name)) {
      if (eq !== -1) throw new InvalidArgumentError(`--${name} takes no value`)
      bools.add(name)
      continue
    }
    if (!VALUE_FLAGS.has(name)) throw new InvalidArgumentError(`unknown option "--${name}"\n${USAGE}`)
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
    if (value === undefined || (eq === -1 && value.startsWith('--'))) {
      throw new InvalidArgumentError(`--${name} needs a value`)
    }
    values.set(name, value)
  }

  let target: string | undefined
  const rawTarget = values.get('target')
  if (rawTarget !== undefined) {
    let url: URL
    try {
      url = new URL(rawTarget)
    } catch {
      throw new InvalidArgumentError(`--target expects a URL like http://127.0.0.1:8080, got "${rawTarget}"`)
    }
    if (url.protocol !== 'http:') throw new InvalidArgumentError(`--target must be an http:// URL, got "${rawTarget}"`)
    target = url.origin
  }

  const server = values.get('server') ?? 'embedded'
  if (server !== 'embedded' && server !== 'nginx') throw new InvalidArgumentError(`--server expects embedded or nginx, got "${server}"`)
  if (server === 'nginx' && target !== undefined) throw new InvalidArgumentError('--server nginx and --target exclude each other')
  const node = values.get('node') ?? (env.BENCH_NODE || undefined)
  const inline = bools.has('inline')
  if (inline && node !== undefined) throw new InvalidArgumentError('--node needs worker processes: it cannot go with --inline')

  const quick = bools.has('quick')
  const get = (flag: string, fallback: number, min: number): number => {
    const raw = values.get(flag)
    return raw === undefined ? fallback : positiveInt(flag, raw, min)
  }
  return {
    quick,
    help: bools.has('help'),
    rounds: get('rounds', quick ? 3 : 5, 1),
    durationMs: get('duration', quick ? 150 : 500, 10),
    warmupMs: get('warmup', quick ? 100 : 300, 0),
    ceilingMs: get('ceiling', quick ? 150 : 1000, 10),
    only: values.has('only') ? list('only', values.get('only')!, known.peers) : [],
    workloads: values.has('workloads') ? list('workloads', values.get('workloads')!, known.workloads) : [],
    target,
    outDir: values.get('out'),
    server,
    node,
    inline,
    pin: !bools.has('no-pin'),
  }
}
