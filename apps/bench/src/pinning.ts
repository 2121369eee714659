// CPU pinning with taskset (util-linux): the server on one CPU, the bench's main process (the
// ceiling client) and every client worker (they inherit its affinity when forked) on another, so
// that the server's wake-ups do not land on the client's core. Needs at least two CPUs.
import { execFileSync } from 'node:child_process'

/** Parses a CPU list like `0-3,6,8-9` into [0,1,2,3,6,8,9]. */
export function parseCpuList(text: string): number[] {
  const out: number[] = []
  for (const part of text.trim().split(',')) {
    if (!part) continue
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (!m) throw new Error(`not a CPU list: "${text}"`)
    const lo = Number(m[1])
    const hi = m[2] === undefined ? lo : Number(m[2])
    for (let c = lo; c <= hi; c++) out.push(c)
  }
  return out
}

/** The CPUs `pid` may run on, from `taskset -pc` ("pid 1's current affinity list: 0,1"). */
export function affinity(taskset: string, pid: number = process.pid): number[] {
  const text = execFileSync(taskset, ['-pc', String(pid)], { encoding: 'utf8' })
  const m = /list:\s*(\S+)\s*$/.exec(text)
  if (!m) throw new Error(`could not read taskset's output: ${text.trim()}`)
  return parseCpuList(m[1]!)
}

/** Pins every thread of `pid` to `cpus` (`taskset -a -pc`). */
export function pin(taskset: string, pid: number, cpus: readonly number[]): void {
  execFileSync(taskset, ['-a', '-pc', cpus.join(','), String(pid)], { stdio: 'ignore' })
}

/** Where the server and the clients run. */
export type PinPlan =
  | { readonly pinned: true; readonly taskset: string; readonly serverCpu: number; readonly clientCpus: readonly number[]; readonly previous: readonly number[] }
  | { readonly pinned: false; readonly why: string }

/**
 * The plan for `cpus` (this process's affinity): the first CPU for the server, the others for
 * the clients; no pinning with fewer than two CPUs or without taskset.
 */
export function planPinning(taskset: string | undefined, cpus: readonly number[] | undefined): PinPlan {
  if (taskset === undefined) return { pinned: false, why: 'taskset is not on PATH' }
  if (cpus === undefined || cpus.length < 2) return { pinned: false, why: `${cpus?.length ?? 1} CPU available` }
  return { pinned: true, taskset, serverCpu: cpus[0]!, clientCpus: cpus.slice(1), previous: cpus }
}

/** One line for the output: what runs where. */
export function describePinning(plan: PinPlan): string {
  if (!plan.pinned) return `not pinned (${plan.why})`
  return `pinned with taskset: server on CPU ${plan.serverCpu}, clients on CPU ${plan.clientCpus.join(',')}`
}
