// The peer list, as data. Order = row order in tables and bars in the chart.
import { axiosPeer } from './axios.js'
import { globalFetch } from './global-fetch.js'
import { gotPeer } from './got.js'
import { nodeFetch } from './node-fetch.js'
import { nodeHttp } from './node-http.js'
import { nodeHttp2 } from './node-http2.js'
import type { PeerDefinition } from './peer.js'
import { sonic } from './sonic.js'
import { sonicFetch } from './sonic-fetch.js'
import { sonicH2 } from './sonic-h2.js'
import { sonicHttp1 } from './sonic-http1.js'
import { undiciDispatch } from './undici-dispatch.js'
import { undiciFetch } from './undici-fetch.js'
import { undiciH2 } from './undici-h2.js'
import { undiciProxy } from './undici-proxy.js'
import { undiciRequest } from './undici-request.js'

/** The peer every ratio is relative to (a workload may name its own, see Workload.baseline). */
export const BASELINE = undiciRequest.name

/** Every peer the bench knows. */
export const PEERS: readonly PeerDefinition[] = [
  sonic,
  sonicHttp1,
  sonicFetch,
  undiciRequest,
  undiciDispatch,
  undiciFetch,
  undiciProxy,
  globalFetch,
  nodeHttp,
  gotPeer,
  axiosPeer,
  nodeFetch,
  sonicH2,
  undiciH2,
  nodeHttp2,
]
