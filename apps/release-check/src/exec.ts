// Child processes with a deadline, their output kept for the assertion message.
import { spawn } from 'node:child_process'

export interface ExecResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface ExecOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Killed (SIGKILL) after this many ms. @default 120000 */
  timeoutMs?: number
  input?: string
}

/** The environment without what the package manager running the tests injected (npm_config_*, …). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|NODE_OPTIONS$|VITEST|TEST$|NODE_ENV$)/.test(k)) continue
    env[k] = v
  }
  return { ...env, ...extra }
}

export function exec(cmd: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const { cwd, env = cleanEnv(), timeoutMs = 120_000, input } = opts
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut })
    })
    child.stdin.end(input ?? '')
  })
}

/** One line for a failed command: what ran, how it ended, the tail of its output. */
export function describe(cmd: string, r: ExecResult): string {
  const how = r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`
  const tail = (s: string) => s.trim().split('\n').slice(-40).join('\n')
  return `${cmd} ${how}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`
}

/** Runs `fn` over `items` with at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
