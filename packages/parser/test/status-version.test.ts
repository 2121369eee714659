// Status lines an HTTP/1 client must refuse (issue 17, defects 7 and 8): a status below 100 is
// not an interim response, and only HTTP/1.0 and HTTP/1.1 are spoken here.
import { HttpParserError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { feed, feedError, latin1, splitings } from './helpers.js'

function expectCode(text: string, code: string): void {
  for (const [how, pieces] of splitings(latin1(text), 7)) {
    const err = feedError(pieces)
    expect(err, how).toBeInstanceOf(HttpParserError)
    expect((err as HttpParserError).llhttpCode, how).toBe(code)
  }
}

describe('status codes', () => {
  it.each(['000 Zero', '001 One', '099 Almost'])('HTTP/1.1 %s is an HttpParserError, not an interim response', (status) => {
    expectCode(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`, 'HPE_INVALID_STATUS')
  })

  it('100 and 199 stay interim, 200 is final', () => {
    const out = feed([latin1('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 199 Odd\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')])
    expect(out.messages.map((m) => m.statusCode)).toEqual([100, 199, 200])
  })
})

describe('versions', () => {
  it.each(['HTTP/2.0 200 OK', 'HTTP/0.9 200 OK', 'HTTP/1.2 200 OK', 'HTTP/3.0 200 OK'])('%s is an HttpParserError', (line) => {
    expectCode(`${line}\r\nContent-Length: 0\r\n\r\n`, 'HPE_INVALID_VERSION')
  })

  it('HTTP/1.0 and HTTP/1.1 are read', () => {
    for (const v of ['1.0', '1.1']) {
      const out = feed([latin1(`HTTP/${v} 200 OK\r\nContent-Length: 2\r\n\r\nok`)])
      expect(out.messages[0]!.version).toBe(v)
    }
  })
})
