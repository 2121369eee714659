// aiohttp's heartbeat: a ping every `interval` ms; when nothing at all came back within
// `interval / 2` of it the connection is dead. Any frame heard since the ping counts (a busy
// server's pong may wait behind data), so there are two timers per interval, none per message.
// The verdict waits for one setImmediate: after a stalled event loop, the timers phase comes
// before the poll phase that would read the pong, so a live server is not declared dead.
export class Heartbeat {
  readonly #interval: number
  readonly #ping: () => void
  readonly #dead: (waitedMs: number) => void
  #pingTimer: NodeJS.Timeout | null = null
  #pongTimer: NodeJS.Timeout | null = null
  #verdict: NodeJS.Immediate | null = null
  #heard = false

  constructor(interval: number, ping: () => void, dead: (waitedMs: number) => void) {
    this.#interval = interval
    this.#ping = ping
    this.#dead = dead
    this.#pingTimer = setTimeout(this.#onPingTimer, interval)
  }

  /** Something came from the server. */
  heard(): void {
    this.#heard = true
  }

  stop(): void {
    if (this.#pingTimer !== null) clearTimeout(this.#pingTimer)
    if (this.#pongTimer !== null) clearTimeout(this.#pongTimer)
    if (this.#verdict !== null) clearImmediate(this.#verdict)
    this.#pingTimer = null
    this.#pongTimer = null
    this.#verdict = null
  }

  #onPingTimer = (): void => {
    this.#pingTimer = null
    this.#heard = false
    this.#ping()
    this.#pongTimer = setTimeout(this.#onPongTimer, this.#interval / 2)
  }

  #onPongTimer = (): void => {
    this.#pongTimer = null
    this.#verdict = setImmediate(this.#judge)
  }

  #judge = (): void => {
    this.#verdict = null
    if (this.#heard) this.#pingTimer = setTimeout(this.#onPingTimer, this.#interval / 2)
    else this.#dead(this.#interval / 2)
  }
}
