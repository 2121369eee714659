// The stale-connection retry: a request that failed on a reused keep-alive connection before any
// response byte arrived (the server had closed it while idle) is sent once more — only when it is
// idempotent and its body can be sent again (RFC 9112 §9.3.1) — and on a fresh connection: a
// server that drops its idle connections drops them all at once, so the next idle one would
// likely be stale too.
import { ConnectionClosedError, isStreamBody, type DispatchRequest, type Interceptor } from '@sonic/core'
import type { ClientRequest } from './client-request.js'
import { isIdempotent } from './normalize-request.js'

/**
 * Resends once, on a new connection, what a stale keep-alive connection lost. Never a
 * non-idempotent request.
 * @example const send = compose(agent.dispatch, staleRetry())
 */
export function staleRetry(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req)
    } catch (err) {
      if (!canRetry(err, req)) throw err
      // `fresh` asks the agent for a connection that never carried a request.
      return next({ ...req, fresh: true } as DispatchRequest)
    }
  }
}

function canRetry(err: unknown, req: DispatchRequest): boolean {
  if (!(err instanceof ConnectionClosedError) || !err.beforeResponse || err.reused !== true) return false
  if (!isIdempotent(req.method)) return false
  const c = req as Partial<ClientRequest>
  if (c.deadline?.fired === true) return false
  const body = req.body
  if (body !== null && isStreamBody(body) && (!body.replayable || c.replayable === false)) return false
  return true
}
