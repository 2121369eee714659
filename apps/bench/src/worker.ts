// A client worker: the bench forks one per peer and workload (dist/worker.js), so that one peer's
// JIT state, heap and connections cannot slow another, and process.cpuUsage() and RSS are the
// client's own. It runs the protocol of worker-protocol.ts and exits when told or when the parent
// goes away.
import { peerVersions } from './libs.js'
import { PEERS } from './peers/index.js'
import { PeerUnavailableError, type Peer } from './peers/peer.js'
import { timedRun } from './runner.js'
import type { FromWorker, ToWorker } from './worker-protocol.js'
import { WORKLOADS, prepareWorkload, type PreparedWorkload } from './workloads.js'

let peer: Peer | undefined
let workload: PreparedWorkload | undefined

const send = (msg: FromWorker): void => {
  process.send?.(msg)
}
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'setup': {
      const def = PEERS.find((p) => p.name === msg.peer)
      const w = WORKLOADS.find((x) => x.name === msg.workload)
      if (def === undefined || w === undefined) {
        return send({ type: 'error', message: def === undefined ? `unknown peer "${msg.peer}"` : `unknown workload "${msg.workload}"` })
      }
      workload = prepareWorkload(w, msg.origin)
      const p = def.create()
      try {
        await p.setup({ origin: msg.origin, connections: msg.connections, ...(msg.proxy !== undefined && { proxy: msg.proxy }), ...(msg.ca !== undefined && { ca: msg.ca }) })
      } catch (err) {
        return send(err instanceof PeerUnavailableError ? { type: 'unavailable', message: err.message } : { type: 'error', message: message(err) })
      }
      peer = p
      return send({ type: 'ready', pid: process.pid, versions: peerVersions() })
    }
    case 'run': {
      if (peer === undefined || workload === undefined) return send({ type: 'error', message: 'run before setup' })
      try {
        return send({ type: 'result', run: await timedRun(peer, workload, msg.durationMs, msg.hangMs, { gc: false }) })
      } catch (err) {
        return send({ type: 'error', message: message(err) })
      }
    }
    case 'teardown': {
      try {
        await peer?.teardown()
      } finally {
        peer = undefined
        send({ type: 'closed' })
        process.disconnect?.()
        // Whatever a client left open (a stuck socket) must not keep the process alive.
        setTimeout(() => process.exit(0), 1000).unref()
      }
    }
  }
}

process.on('message', (msg: ToWorker) => {
  handle(msg).catch((err: unknown) => send({ type: 'error', message: message(err) }))
})
process.on('disconnect', () => {
  if (peer !== undefined) process.exit(0)
})
