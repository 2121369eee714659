export type { Pool, PoolStats } from './pool.js'
export { SmartPool } from './smart-pool.js'
export { CyclicQueuePool } from './cyclic-queue-pool.js'
export { idleLifetime } from './idle-lifetime.js'
