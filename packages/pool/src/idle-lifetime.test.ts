import { describe, expect, it } from 'vitest'
import { idleLifetime } from './idle-lifetime.js'

describe('idleLifetime', () => {
  it('is maxConnIdleMs when the server announced nothing', () => {
    expect(idleLifetime(60000, null)).toBe(60000)
    expect(idleLifetime(0, null)).toBe(0)
    expect(idleLifetime(100, Number.NaN)).toBe(100)
  })

  it('leaves the server 500 ms of margin, or half of a short keep-alive', () => {
    expect(idleLifetime(60000, 5000)).toBe(4500)
    expect(idleLifetime(60000, 1000)).toBe(500)
    expect(idleLifetime(60000, 400)).toBe(200)
    expect(idleLifetime(60000, 0)).toBe(0)
  })

  it('never exceeds maxConnIdleMs', () => {
    expect(idleLifetime(1000, 5000)).toBe(1000)
  })
})
