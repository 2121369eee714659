// Entry of the bench server process (dist/server.js). Forked by the bench app, it reports its port
// over IPC and exits when the parent goes away. Run by hand it prints its URL:
//   node dist/server.js [--port 8080] [--host 127.0.0.1]
//   node dist/server.js --h2-cert cert.pem --h2-key key.pem   (the HTTP/2 server over TLS instead)
import { readFileSync } from 'node:fs'
import { createBenchServer } from './bench-server.js'
import { createH2BenchServer } from './h2-server.js'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const h2Cert = flag('--h2-cert')
const h2Key = flag('--h2-key')
const server = h2Cert !== undefined && h2Key !== undefined ? createH2BenchServer({ cert: readFileSync(h2Cert, 'utf8'), key: readFileSync(h2Key, 'utf8') }) : createBenchServer()
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
  console.log(`bench server listening on ${h2Cert !== undefined ? 'https' : 'http'}://${address.address}:${address.port}`)
}
