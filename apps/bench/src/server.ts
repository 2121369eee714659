// Entry of the bench server process (dist/server.js). Forked by the bench app, it reports its port
// over IPC and exits when the parent goes away. Run by hand it prints its URL:
//   node dist/server.js [--port 8080] [--host 127.0.0.1]
import { createBenchServer } from './bench-server.js'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const server = createBenchServer()
const address = await server.listen(Number(flag('--port') ?? 0), flag('--host') ?? '127.0.0.1')

const stop = (): void => {
  void server.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

if (process.send) {
  process.send({ type: 'listening', port: address.port, host: address.address })
  process.on('disconnect', stop)
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stop') stop()
  })
} else {
  console.log(`bench server listening on http://${address.address}:${address.port}`)
}
