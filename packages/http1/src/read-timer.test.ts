import { afterEach, expect, test } from 'vitest'
import { ReadTimer } from './read-timer.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const timers: ReadTimer[] = []
afterEach(() => {
  for (const t of timers.splice(0)) t.clear()
})

function make() {
  const fired: number[] = []
  const timer = new ReadTimer((ms) => fired.push(ms))
  timers.push(timer)
  return { timer, fired }
}

test('an armed timer fires once with its limit; null or 0 never arm it', async () => {
  const { timer, fired } = make()
  timer.arm(null)
  timer.arm(0)
  await sleep(30)
  expect(fired).toEqual([])
  timer.arm(20)
  await sleep(60)
  expect(fired).toEqual([20])
})

test('touch() restarts the wait; disarm() and suspend() silence it; resume() restarts it', async () => {
  const { timer, fired } = make()
  timer.arm(60)
  for (let i = 0; i < 4; i++) {
    await sleep(25)
    timer.touch()
  }
  expect(fired).toEqual([]) // 100 ms in total, never 60 ms without a touch
  timer.suspend()
  await sleep(90)
  expect(fired).toEqual([])
  timer.resume()
  await sleep(100)
  expect(fired).toEqual([60])
  timer.arm(30)
  timer.disarm()
  await sleep(60)
  expect(fired).toEqual([60])
})

test('a fired timer is re-armed by arm() (refresh), and clear() frees it', async () => {
  const { timer, fired } = make()
  timer.arm(15)
  await sleep(40)
  timer.arm(15)
  await sleep(40)
  expect(fired).toEqual([15, 15])
  timer.arm(15)
  timer.clear()
  await sleep(40)
  expect(fired).toEqual([15, 15])
})
