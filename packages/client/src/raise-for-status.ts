// The raiseForStatus interceptor: a final response with a status ≥ 400 becomes an HttpStatusError
// carrying the status, the full final URL, the headers and the response with its body unread
// (the caller reads or releases it). It sits outside the redirects, so it sees the final hop.
import { HttpStatusError, type DispatchRequest, type Interceptor } from '@sonic/core'
import { hrefOf, type ClientRequest, type ClientResponseHead } from './client-request.js'

export interface RaiseForStatusOptions {
  /**
   * What the error's `response` is, made from the head (HTTPClient gives its HttpResponse).
   * @default the response head itself
   */
  response?: (head: ClientResponseHead, req: DispatchRequest) => unknown
}

/**
 * Rejects with HttpStatusError for a status ≥ 400. In an HTTPClient the request's
 * `raiseForStatus` option (or the client's) decides; a request from elsewhere is always checked.
 * @example const send = compose(agent.dispatch, raiseForStatus())
 */
export function raiseForStatus(options: RaiseForStatusOptions = {}): Interceptor {
  const wrap = options.response ?? null
  return (next) => (req) => {
    const policy = (req as Partial<ClientRequest>).policy
    if (policy !== undefined && policy.raiseForStatus !== true) return next(req)
    return next(req).then((head) => (head.status < 400 ? head : Promise.reject(statusError(head, req, wrap))))
  }
}

/** The HttpStatusError of `head`: `url` is the full final URL, the message names it without the query. */
export function statusError(head: ClientResponseHead, req: DispatchRequest, wrap: ((head: ClientResponseHead, req: DispatchRequest) => unknown) | null): HttpStatusError {
  const url = head.url ?? hrefOf(req)
  const q = url.indexOf('?')
  const shown = q === -1 ? url : url.slice(0, q)
  const text = head.statusText === '' ? '' : ` ${head.statusText}`
  const err = new HttpStatusError(head.status, `Response status ${head.status}${text} (${req.method} ${shown})`, {
    headers: head.headers,
    response: wrap === null ? head : wrap(head, req),
  })
  Object.defineProperty(err, 'method', { value: req.method, enumerable: true })
  Object.defineProperty(err, 'url', { value: url, enumerable: true })
  return err
}
