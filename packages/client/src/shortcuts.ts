// Module-level request functions over one lazily created default client. Its idle connections
// do not keep the process alive.
import { HTTPClient } from './http-client.js'
import type { RequestInput, RequestOptions } from './options.js'
import type { HttpResponse } from './response.js'

let defaultClient: HTTPClient | null = null

/** The shared client behind request(), get(), post() … (created on first use). */
export function getDefaultClient(): HTTPClient {
  if (defaultClient === null || defaultClient.closed) defaultClient = new HTTPClient()
  return defaultClient
}

type MethodOptions = Omit<RequestOptions, 'method'>

export function request(url: RequestInput, options?: RequestOptions): Promise<HttpResponse> {
  return getDefaultClient().request(url, options)
}
export function get(url: RequestInput, options?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().get(url, options)
}
export function post(url: RequestInput, options?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().post(url, options)
}
export function put(url: RequestInput, options?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().put(url, options)
}
export function patch(url: RequestInput, options?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().patch(url, options)
}
function deleteRequest(url: RequestInput, options?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().delete(url, options)
}
export { deleteRequest as delete, deleteRequest as del }
export function head(url: RequestInput, options?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().head(url, options)
}
export function options(url: RequestInput, opts?: MethodOptions): Promise<HttpResponse> {
  return getDefaultClient().options(url, opts)
}
