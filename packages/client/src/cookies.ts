// The cookies interceptor: an RFC 6265 jar (tough-cookie) sends its cookies with each hop and
// keeps what each response sets, redirects included (it runs inside the redirect interceptor).
import type { Interceptor } from '@sonic/core'
import type { CookieJar } from 'tough-cookie'
import { hrefOf } from './client-request.js'
import { withCookie } from './normalize-request.js'

/**
 * Keeps response cookies in `jar` and sends them back.
 * @example const send = compose(agent.dispatch, redirect(), cookies(new CookieJar()))
 */
export function cookies(jar: CookieJar): Interceptor {
  return (next) => async (req) => {
    const href = hrefOf(req)
    const cookie = await jar.getCookieString(href)
    // Joined to a Cookie header the request already has (the `cookies` option): one Cookie header.
    const head = await next(cookie === '' ? req : { ...req, headers: withCookie(req.headers, cookie) })
    for (const line of head.headers.getSetCookie()) await jar.setCookie(line, href, { ignoreError: true })
    return head
  }
}
