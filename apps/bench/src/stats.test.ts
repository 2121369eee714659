import { describe, expect, it } from 'vitest'
import { median, perRoundRatios, rotate, summarize } from './stats.js'

describe('median', () => {
  it('takes the middle value of an odd count, unsorted input', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([10, 2, 8, 4, 6])).toBe(6)
  })
  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
  it('ignores NaN and is NaN when nothing is left', () => {
    expect(median([NaN, 7, 1])).toBe(4)
    expect(median([])).toBeNaN()
    expect(median([NaN])).toBeNaN()
  })
  it('does not reorder its input', () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })
})

describe('perRoundRatios', () => {
  it('divides within each round, not medians by medians', () => {
    // The client is 2x the baseline in every round although the rounds vary 10x.
    const baseline = [100, 1000, 50]
    const client = [200, 2000, 100]
    expect(perRoundRatios(client, baseline)).toEqual([2, 2, 2])
    // Medians of the series would give 200/100 = 2 too here, but not in general:
    expect(median(perRoundRatios([300, 100, 100], [100, 100, 50]))).toBe(2)
    expect(median([300, 100, 100]) / median([100, 100, 50])).toBe(1)
  })
  it('gives NaN for a missing round or a zero baseline', () => {
    expect(perRoundRatios([1, 2, 3], [1, 0])).toEqual([1, NaN, NaN])
  })
  it('gives 1 for the baseline against itself', () => {
    const b = [123.4, 98.7, 110]
    expect(perRoundRatios(b, b)).toEqual([1, 1, 1])
  })
})

describe('summarize', () => {
  it('reports median, min, max and the count of finite values', () => {
    expect(summarize([1.2, 0.9, NaN, 1.1])).toEqual({ median: 1.1, min: 0.9, max: 1.2, n: 3 })
  })
  it('is all NaN with n = 0 for no data', () => {
    const s = summarize([])
    expect(s.n).toBe(0)
    expect(s.median).toBeNaN()
  })
})

describe('rotate', () => {
  it('starts each round one client later, wrapping around', () => {
    const clients = ['a', 'b', 'c']
    expect(rotate(clients, 0)).toEqual(['a', 'b', 'c'])
    expect(rotate(clients, 1)).toEqual(['b', 'c', 'a'])
    expect(rotate(clients, 2)).toEqual(['c', 'a', 'b'])
    expect(rotate(clients, 3)).toEqual(['a', 'b', 'c'])
    expect(rotate([], 4)).toEqual([])
  })
  it('puts every client first once over as many rounds as clients', () => {
    const clients = ['a', 'b', 'c', 'd']
    const firsts = clients.map((_, r) => rotate(clients, r)[0])
    expect(new Set(firsts).size).toBe(4)
  })
})
