export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves once `cond()` holds; polls every 5 ms, gives up (throws) after `limitMs`. */
export async function until(cond: () => boolean, limitMs = 3000): Promise<void> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited >= limitMs) throw new Error('condition not reached')
    await sleep(5)
  }
}
