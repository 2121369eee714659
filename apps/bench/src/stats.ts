// The statistics of the bench: medians, per-round ratios and their summary.

/** Median of `values` (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0) return NaN
  const sorted = [...finite].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Ratio of a client's rate to the baseline's rate, computed within each round: `client[i] /
 * baseline[i]`. A round where either side is missing or the baseline is 0 gives NaN.
 */
export function perRoundRatios(client: readonly number[], baseline: readonly number[]): number[] {
  const n = Math.max(client.length, baseline.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const c = client[i]
    const b = baseline[i]
    out.push(c === undefined || b === undefined || !(b > 0) ? NaN : c / b)
  }
  return out
}

/** Median, minimum and maximum of a series (NaNs ignored). */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly n: number
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length }
}

/** The order of clients in round `round`: the list rotated by `round` places. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return []
  const k = ((round % items.length) + items.length) % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}
