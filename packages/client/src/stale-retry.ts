// The stale-connection retry: a request that failed on a reused keep-alive connection before any
// response byte arrived (the server had closed it while idle) is sent once more, on another
// connection — only when it is idempotent and its body can be sent again (RFC 9112 §9.3.1).
import { ConnectionClosedError, isStreamBody, type DispatchRequest, type Interceptor } from '@sonic/core'
import type { ClientRequest } from './client-request.js'
import { isIdempotent } from './normalize-request.js'

/**
 * Retries once what a stale keep-alive connection lost. Never a non-idempotent request.
 * @example const send = compose(agent.dispatch, staleRetry())
 */
export function staleRetry(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req)
    } catch (err) {
      if (!canRetry(err, req)) throw err
      return next(req)
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
