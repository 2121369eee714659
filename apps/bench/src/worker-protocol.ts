// The messages between the bench (parent) and a client worker (dist/worker.js, one forked process
// per peer and workload), over the fork IPC channel. One request at a time, each answered once:
//   setup    → ready | unavailable | error
//   run      → result | error
//   teardown → closed (then the worker exits)
import type { RunResult } from './runner.js'

export type ToWorker =
  | { readonly type: 'setup'; readonly peer: string; readonly workload: string; readonly origin: string; readonly connections: number; readonly proxy?: string; readonly ca?: string }
  | { readonly type: 'run'; readonly durationMs: number; readonly hangMs: number }
  | { readonly type: 'teardown' }

export type FromWorker =
  /** Set up; `versions` are the Node and peer library versions this worker runs. */
  | { readonly type: 'ready'; readonly pid: number; readonly versions: Record<string, string> }
  /** The peer's client cannot load here (PeerUnavailableError): skipped, not failed. */
  | { readonly type: 'unavailable'; readonly message: string }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'result'; readonly run: RunResult }
  | { readonly type: 'closed' }

/** True when `msg` has the shape of a worker's answer. */
export function isFromWorker(msg: unknown): msg is FromWorker {
  const t = (msg as { type?: unknown } | null)?.type
  return t === 'ready' || t === 'unavailable' || t === 'error' || t === 'result' || t === 'closed'
}
