import { describe, expect, it } from 'vitest'
import { Deadline, runningDeadlineTimers } from './deadline.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('Deadline', () => {
  it('expires in order across lengths; cleared ones never fire; the list timers stop when empty', async () => {
    const a = new Deadline(30)
    const b = new Deadline(60)
    const c = new Deadline(30)
    const d = new Deadline(10)
    c.clear()
    await sleep(45)
    expect([a.fired, b.fired, c.fired, d.fired]).toEqual([true, false, false, true])
    await sleep(40)
    expect(b.fired).toBe(true)
    expect(c.fired).toBe(false)
    expect(b.map(new Error('other'))).toBe(b.error())
    expect(b.error().timeout).toBe(60)
    // Nothing left pending: no list timer runs; one starts for a new deadline and stops when it is cleared.
    expect(runningDeadlineTimers()).toBe(0)
    const e = new Deadline(1000)
    expect(runningDeadlineTimers()).toBe(1)
    e.clear()
    expect(runningDeadlineTimers()).toBe(0)
  })

  it('a deadline made after an older one was cleared still fires on time', async () => {
    const old = new Deadline(40)
    await sleep(20)
    old.clear()
    const young = new Deadline(40)
    await sleep(30) // the list timer may fire early for `young`; it must re-aim, not expire it
    expect(young.fired).toBe(false)
    await sleep(30)
    expect(young.fired).toBe(true)
  })

  it('a deadline made while others expire is still aimed at correctly, with one timer', async () => {
    const made: Deadline[] = []
    const first = new Deadline(20)
    const second = new Deadline(20)
    // When `first` expires its request fails and (as a retry would) a new deadline is made at once.
    const expire = first.expire.bind(first)
    first.expire = () => {
      expire()
      made.push(new Deadline(20))
    }
    await sleep(35)
    expect(first.fired && second.fired).toBe(true)
    expect(made).toHaveLength(1)
    expect(made[0]!.fired).toBe(false)
    expect(runningDeadlineTimers()).toBe(1)
    await sleep(30)
    expect(made[0]!.fired).toBe(true)
    expect(runningDeadlineTimers()).toBe(0)
  })

  it('remaining() counts down and never goes below 1', async () => {
    const dl = new Deadline(50)
    expect(dl.remaining()).toBeLessThanOrEqual(50)
    await sleep(70)
    expect(dl.remaining()).toBe(1)
    dl.clear()
  })
})
