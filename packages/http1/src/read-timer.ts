// The read timeout of a connection: ONE timer, created when first needed and refreshed with
// timer.refresh() on every chunk, never recreated per chunk or per request (unless sockRead
// changes). A timer that fires while disarmed or suspended does nothing.

/** Bounds each wait for bytes from the server. */
export class ReadTimer {
  readonly #onTimeout: (ms: number) => void
  #timer: NodeJS.Timeout | null = null
  #ms = 0
  #armed = false
  #suspended = false

  /** @param onTimeout called with the limit when a wait exceeded it */
  constructor(onTimeout: (ms: number) => void) {
    this.#onTimeout = onTimeout
  }

  /** Starts bounding waits by `ms` from now; null, undefined or <= 0 disables it. */
  arm(ms: number | null | undefined): void {
    this.#suspended = false
    if (ms === null || ms === undefined || !(ms > 0)) {
      this.#armed = false
      return
    }
    this.#armed = true
    if (this.#timer !== null && this.#ms === ms) {
      this.#timer.refresh()
      return
    }
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#ms = ms
    // Unref'd: a busy connection's socket keeps the process alive, an idle one must not.
    this.#timer = setTimeout(this.#fire, ms).unref()
  }

  /** Stops bounding waits (the timer may still fire, harmlessly). */
  disarm(): void {
    this.#armed = false
    this.#suspended = false
  }

  /** Bytes arrived: the wait starts over. */
  touch(): void {
    if (this.#armed && !this.#suspended) this.#timer!.refresh()
  }

  /** Nobody is reading (backpressure): waiting on the consumer is not waiting on the server. */
  suspend(): void {
    this.#suspended = true
  }

  /** Reading again: the wait starts over. */
  resume(): void {
    this.#suspended = false
    this.touch()
  }

  /** Frees the timer (the connection closed). */
  clear(): void {
    this.#armed = false
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
  }

  #fire = (): void => {
    if (this.#armed && !this.#suspended) this.#onTimeout(this.#ms)
  }
}
