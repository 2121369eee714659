import { describe, expect, it } from 'vitest'
import { Timeouts } from './timeouts.js'
import { PoolConfig } from './pool-config.js'
import { InvalidArgumentError } from './errors.js'

describe('Timeouts', () => {
  it('has the documented defaults', () => {
    const t = new Timeouts()
    expect(t).toMatchObject({ sockConnect: 5000, sockRead: 30000, poolAcquire: null, requestTimeout: 60000 })
    expect(Object.isFrozen(t)).toBe(true)
  })

  it('null disables one', () => {
    expect(new Timeouts({ sockRead: null }).sockRead).toBeNull()
  })

  it('from() merges a plain object over the base; an instance replaces', () => {
    const base = new Timeouts({ sockConnect: 100 })
    const merged = Timeouts.from({ sockRead: 5 }, base)
    expect(merged.sockConnect).toBe(100)
    expect(merged.sockRead).toBe(5)
    const inst = new Timeouts({ sockRead: 7 })
    expect(Timeouts.from(inst, base)).toBe(inst)
    expect(Timeouts.from(undefined, base)).toBe(base)
  })

  it.each([-1, Number.NaN, Infinity, '5' as unknown as number])('rejects %s', (v) => {
    expect(() => new Timeouts({ sockConnect: v })).toThrow(InvalidArgumentError)
  })
})

describe('PoolConfig', () => {
  it('has the documented defaults', () => {
    expect(new PoolConfig()).toMatchObject({ size: 30, maxConnRequests: 1000, maxConnIdleMs: 60000 })
  })

  it('accepts null maxConnRequests for unlimited', () => {
    expect(new PoolConfig({ maxConnRequests: null }).maxConnRequests).toBeNull()
  })

  it.each([{ size: 0 }, { size: 1.5 }, { maxConnRequests: 0 }, { maxConnIdleMs: -1 }])('rejects %j', (init) => {
    expect(() => new PoolConfig(init)).toThrow(InvalidArgumentError)
  })

  it('from() passes instances through', () => {
    const p = new PoolConfig({ size: 2 })
    expect(PoolConfig.from(p)).toBe(p)
    expect(PoolConfig.from({ size: 3 }).size).toBe(3)
  })
})
