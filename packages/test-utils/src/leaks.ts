// The leak check: after each test, every socket and server it opened must be closed and every
// timer the code under test armed must be cleared or have fired.
//
// Handles: vitest itself holds none of the watched kinds but its IPC pipes, so counts are compared
// with a baseline taken before the test (servers started in beforeAll are part of it).
//
// Timers: vitest's own timers come and go, so counting them says little. Instead setTimeout is
// observed (once, whoever asks first) and each timer whose call stack says it was armed by the code
// under test is recorded — unref'd ones too. This observes setTimeout; it does not change what it
// does.
import { sep } from 'node:path'
import { afterEach, beforeEach, expect } from 'vitest'
import { sleep } from './time.js'

/** Sockets, servers, TLS and pipes (unix sockets). */
export const ALL_HANDLES: readonly string[] = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'PipeWrap', 'PipeServerWrap']
/** Without pipes: for tests whose child processes' stdio pipes come and go. */
export const NET_HANDLES: readonly string[] = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap']

/** Told of every timer armed, with the stack of its setTimeout call (the first frame is the observer). */
export type TimerObserver = (timer: NodeJS.Timeout, stack: string) => void

const observers: TimerObserver[] = []
let observing = false

/** Calls `observer` for every setTimeout from now on. */
export function observeTimers(observer: TimerObserver): void {
  observers.push(observer)
  if (observing) return
  observing = true
  const realSetTimeout = globalThis.setTimeout
  // The stack is taken here, directly, so that every observer sees the same frames (the stack
  // trace limit is 10: an extra wrapper frame would push the caller's out).
  const watchedSetTimeout = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
    const timer = realSetTimeout(...args)
    const stack = new Error().stack ?? ''
    for (const o of observers) o(timer, stack)
    return timer
  }
  Object.assign(watchedSetTimeout, realSetTimeout)
  globalThis.setTimeout = watchedSetTimeout as typeof setTimeout
}

const THIS_PACKAGE = /[\\/]test-utils[\\/]src[\\/]/

/** The first frame of `stack` outside this package and outside frames matching `skip` (other fixtures): the caller. */
export function callerFrame(stack: string, skip?: RegExp): string {
  return stack.split('\n').slice(1).find((line) => !THIS_PACKAGE.test(line) && (skip === undefined || !skip.test(line))) ?? ''
}

/** True for stacks that pass through `<pkg>/src/` (e.g. `fromSource('http1')`). */
export function fromSource(pkg: string): (stack: string) => boolean {
  const mark = `${pkg}${sep}src${sep}`
  return (stack) => stack.includes(mark)
}

/** Timers of `set` that are neither cleared nor fired (the others are dropped from it). */
export function live(set: Set<NodeJS.Timeout>): number {
  let n = 0
  for (const t of set) if ((t as unknown as { _destroyed: boolean })._destroyed) set.delete(t)
  else n++
  return n
}

export interface LeakCheckOptions {
  /** Whether a timer is the code under test's, from the stack of its setTimeout call. */
  ours: (stack: string) => boolean
  /** The handle kinds counted. @default ALL_HANDLES */
  handles?: readonly string[]
  /** Who left timers, in the failure message. @default 'src/' */
  label?: string
}

export interface LeakCheck {
  /** Snapshot of the watched handles alive now (before a test: vitest's own IPC pipes). */
  resourceBaseline(): Record<string, number>
  /** Fails unless every socket, server and library timer the test made is gone (waits up to 2 s for closes). */
  expectNoLeaks(baseline: Record<string, number>): Promise<void>
  /**
   * Registers, for the calling test file, cleanups run in reverse after each test followed by the
   * leak check. Returns the list tests push their cleanups onto.
   */
  useCleanups(): (() => unknown)[]
  /** How many timers the code under test has created so far in this test (cleared or not). */
  timersCreated(): number
}

export function createLeakCheck(opts: LeakCheckOptions): LeakCheck {
  const watched = opts.handles ?? ALL_HANDLES
  const label = opts.label ?? 'src/'
  const ourTimers = new Set<NodeJS.Timeout>()
  observeTimers((timer, stack) => {
    if (opts.ours(stack)) ourTimers.add(timer)
  })

  const resourceBaseline = (): Record<string, number> => {
    const counts: Record<string, number> = {}
    for (const name of watched) counts[name] = 0
    for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r]!++
    return counts
  }

  const expectNoLeaks = async (baseline: Record<string, number>): Promise<void> => {
    const over = (): string[] => {
      const now = resourceBaseline()
      const out = watched.filter((k) => now[k]! > baseline[k]!).map((k) => `${k}: ${now[k]} > ${baseline[k]}`)
      const timers = live(ourTimers)
      if (timers > 0) out.push(`timers left by ${label}: ${timers}`)
      return out
    }
    const deadline = Date.now() + 2000
    while (over().length > 0 && Date.now() < deadline) await sleep(5)
    const left = over()
    ourTimers.clear()
    expect(left).toEqual([])
  }

  const useCleanups = (): (() => unknown)[] => {
    let baseline: Record<string, number> = {}
    const cleanups: (() => unknown)[] = []
    beforeEach(() => {
      baseline = resourceBaseline()
    })
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c()
      await expectNoLeaks(baseline)
    })
    return cleanups
  }

  return { resourceBaseline, expectNoLeaks, useCleanups, timersCreated: () => ourTimers.size }
}
