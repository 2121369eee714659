// A 101 is an answer only to a request that asked to switch protocols (expectUpgrade).
import { HttpParserError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { ResponseParser } from '../src/index.js'
import { latin1, splitings } from './helpers.js'

const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'
const input = latin1(head + '\x81\x05hello')

/** Feeds `pieces` until the parser stops consuming; returns the error or the bytes consumed. */
function run(pieces: Uint8Array[], expectUpgrade: boolean | null): unknown {
  const parser = new ResponseParser()
  parser.expectUpgrade = expectUpgrade
  let consumed = 0
  try {
    for (const piece of pieces) {
      const n = parser.execute(piece)
      consumed += n
      if (n < piece.length) break
    }
    return consumed
  } catch (error) {
    return error
  } finally {
    parser.destroy()
  }
}

describe('expectUpgrade', () => {
  it('false: a 101 is an HttpParserError (HPE_UNEXPECTED_UPGRADE), however it is split', () => {
    for (const [how, pieces] of splitings(input, 31)) {
      const err = run(pieces, false)
      expect(err, how).toBeInstanceOf(HttpParserError)
      expect((err as HttpParserError).llhttpCode, how).toBe('HPE_UNEXPECTED_UPGRADE')
    }
  })

  it('true (and null, the default): the 101 switches protocols after its head', () => {
    for (const expectUpgrade of [true, null]) {
      for (const [how, pieces] of splitings(input, 32)) {
        expect(run(pieces, expectUpgrade), how).toBe(head.length)
      }
    }
  })

  it('false does not touch other statuses, and is kept across reset()', () => {
    const parser = new ResponseParser()
    parser.expectUpgrade = false
    const ok = latin1('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    expect(parser.execute(ok)).toBe(ok.length)
    parser.reset()
    expect(parser.expectUpgrade).toBe(false)
    expect(() => parser.execute(input)).toThrow(HttpParserError)
    parser.destroy()
  })
})
