// The deadline interceptor: one requestTimeout for the whole call — every redirect hop, every
// retry and the body. It hands the Deadline down with the request: the agent bounds its pool wait
// by what is left, tells it which connection is in use (destroyed when it expires) and when each
// body ends; the deadline ends with the body of the final head. No wrapper per request.
import type { Dispatch, DispatchRequest, HttpResponseHead, Interceptor } from '@sonic/core'
import type { ClientRequest } from './client-request.js'
import { Deadline } from './deadline.js'
import { withDeadlineField } from './normalize-request.js'

/**
 * Bounds each request by its `timeouts.requestTimeout` (ms; null: none) → RequestTimeoutError.
 * Outermost of HTTPClient's interceptors.
 * @example const send = compose(agent.dispatch, deadline())
 */
export function deadline(): Interceptor {
  return (next) => (req) => {
    const ms = req.timeouts?.requestTimeout ?? null
    return ms === null ? next(req) : withDeadline(next, req, ms)
  }
}

async function withDeadline(next: Dispatch, req: DispatchRequest, ms: number): Promise<HttpResponseHead> {
  const d = new Deadline(ms)
  let head: HttpResponseHead
  try {
    head = await next(withDeadlineField(req as ClientRequest, d))
  } catch (err) {
    d.clear()
    throw d.map(err)
  }
  // The agent reports the end of the body (bodyDone) and maps a failure after expiry.
  d.markFinal()
  return head
}
