// @sonic/test-utils: the fixtures several packages' tests share (private, never published; the
// TypeScript sources are exported as they are, vitest and tsc read them directly).
export { makeCerts, makeSelfSigned, hex, type KeyPair, type TestCerts } from './certs.js'
export {
  ALL_HANDLES,
  NET_HANDLES,
  callerFrame,
  createLeakCheck,
  fromSource,
  live,
  observeTimers,
  type LeakCheck,
  type LeakCheckOptions,
  type TimerObserver,
} from './leaks.js'
export { prng } from './prng.js'
export { freePort, hasCommand, start, startDaemon, startRaw, waitForPort, type Daemon, type StartOptions, type Started } from './servers.js'
export { sleep, until } from './time.js'
