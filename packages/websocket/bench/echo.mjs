// 1 KiB echo round trips against a local `ws` server: @sonic/websocket, the `ws` client and
// Node's global WebSocket (where this Node has one). Not a test: run it by hand after a build,
//   node packages/websocket/bench/echo.mjs [roundTrips=20000]
// It prints messages per second (one round trip = one message each way) and the ratios.
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { wsConnect } from '../dist/index.js'

const N = Number(process.argv[2] ?? 20000)
const payload = 'x'.repeat(1024)
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
wss.on('connection', (s) => s.on('message', (d, bin) => s.send(d, { binary: bin })))
await new Promise((r) => wss.once('listening', r))
const url = `ws://127.0.0.1:${wss.address().port}/`

async function sonic() {
  const ws = await wsConnect(url, { compress: false })
  const t = performance.now()
  for (let i = 0; i < N; i++) {
    await ws.sendStr(payload)
    await ws.receive()
  }
  const ms = performance.now() - t
  await ws.close()
  return ms
}

async function viaEvents(ws) {
  await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)))
  let left = N
  const t = performance.now()
  await new Promise((resolve) => {
    ws.onmessage = () => (--left === 0 ? resolve() : ws.send(payload))
    ws.send(payload)
  })
  const ms = performance.now() - t
  ws.close()
  return ms
}

const results = { '@sonic/websocket': await sonic(), ws: await viaEvents(new WebSocket(url, { perMessageDeflate: false })) }
if (typeof globalThis.WebSocket === 'function') results['global WebSocket'] = await viaEvents(new globalThis.WebSocket(url))
for (const [name, ms] of Object.entries(results)) {
  console.log(`${name.padEnd(18)} ${Math.round((N / ms) * 1000)} round trips/s (${N} in ${ms.toFixed(0)} ms, ratio to sonic ${(results['@sonic/websocket'] / ms).toFixed(2)})`)
}
for (const c of wss.clients) c.terminate()
wss.close()
