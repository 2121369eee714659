import { HttpParserError, InvalidArgumentError, ResponseTooLargeError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { feed, feedError, latin1, prng, randomSplit, splitings } from '../test/helpers.js'
import { PAUSE, ResponseParser, SKIP_BODY } from './index.js'

const simple = (body: string, extra = '') => latin1(`HTTP/1.1 200 OK\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`)

describe('head size limit', () => {
  const head = 'HTTP/1.1 200 OK\r\nX-One: 1\r\nX-Two: two\r\nContent-Length: 2\r\n\r\n'
  const input = latin1(head + 'ok')

  it('a head of exactly maxHeaderSize bytes passes, one byte less fails, however split', () => {
    for (const [way, pieces] of splitings(input, 7)) {
      expect(feed(pieces, { maxHeaderSize: head.length }).completions, way).toBe(1)
      expect(feedError(pieces, { maxHeaderSize: head.length - 1 }), way).toBeInstanceOf(ResponseTooLargeError)
    }
  })

  it('counts each message of a pipeline on its own', () => {
    const three = Buffer.concat([input, input, input])
    for (const [way, pieces] of splitings(three, 8)) {
      expect(feed(pieces, { maxHeaderSize: head.length }).completions, way).toBe(3)
    }
  })

  it('rejects an invalid limit', () => {
    expect(() => new ResponseParser({ maxHeaderSize: 0 })).toThrow(InvalidArgumentError)
    expect(() => new ResponseParser({ maxHeaderSize: 1.5 })).toThrow(InvalidArgumentError)
  })
})

describe('zero copy', () => {
  it('hands out body views into the chunk given to execute()', () => {
    const parser = new ResponseParser()
    const chunk = simple('abcdef')
    const views: Uint8Array[] = []
    parser.onBody = (view) => void views.push(view)
    parser.execute(chunk)
    expect(views).toHaveLength(1)
    expect(views[0]!.buffer).toBe(chunk.buffer)
    expect(views[0]!.byteOffset).toBe(chunk.byteOffset + chunk.length - 6)
    expect(Buffer.from(views[0]!).toString()).toBe('abcdef')
    parser.destroy()
  })

  it('keeps header bytes of a head split over reads even when the caller reuses its buffer', () => {
    const input = simple('xy', 'X-Long-Header-Name: a value that spans several reads\r\nX-B: b\r\n')
    const reused = new Uint8Array(input.length)
    const parser = new ResponseParser()
    let headers: string[] = []
    parser.onHeaders = (p) => void (headers = p.headersFlat())
    // One reused buffer, refilled for every 5-byte read (and scribbled over in between).
    for (let i = 0; i < input.length; i += 5) {
      reused.fill(0x5a)
      const n = Math.min(5, input.length - i)
      reused.set(input.subarray(i, i + n))
      expect(parser.execute(reused.subarray(0, n))).toBe(n)
    }
    expect(headers).toEqual(['X-Long-Header-Name', 'a value that spans several reads', 'X-B', 'b', 'Content-Length', '2'])
    parser.destroy()
  })
})

describe('head accessors', () => {
  it('header() matches case-insensitively, returns the first match, null when absent', () => {
    const parser = new ResponseParser()
    let seen = 0
    parser.onHeaders = (p) => {
      seen++
      expect(p.header('set-cookie')).toBe('a=1')
      expect(p.header('x-~ilde')).toBe('t')
      // '^' and '~' differ by the 0x20 bit: only letters are case-folded.
      expect(p.header('x-^ilde')).toBeNull()
      expect(p.header('content-encoding')).toBeNull()
      expect(p.header('connection')).toBe('keep-alive')
      expect(p.headerCount).toBe(5)
      const flat = p.headersFlat()
      expect(flat).not.toBe(p.headersFlat())
      expect(flat).toEqual(['Set-Cookie', 'a=1', 'SET-COOKIE', 'b=2', 'X-~ilde', 't', 'CONNECTION', 'keep-alive', 'Content-Length', '0'])
    }
    parser.execute(latin1('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSET-COOKIE: b=2\r\nX-~ilde: t  \r\nCONNECTION: keep-alive\r\nContent-Length: 0\r\n\r\n'))
    expect(seen).toBe(1)
    parser.destroy()
  })

  it('reads Content-Length values beyond 32 bits', () => {
    const parser = new ResponseParser()
    let length: number | null = -1
    parser.onHeaders = (p) => {
      length = p.contentLength
      return SKIP_BODY
    }
    parser.execute(latin1('HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\n'))
    expect(length).toBe(5_000_000_000)
    parser.destroy()
  })
})

describe('pause and resume', () => {
  it('onBody returning PAUSE stops right after that piece; resume() continues', () => {
    const input = Buffer.concat([simple('0123456789'), simple('abc')])
    const firstBody = input.indexOf('0123456789')
    const parser = new ResponseParser()
    const bodies: string[] = []
    let completions = 0
    let pauseNext = true
    parser.onBody = (view) => {
      bodies.push(Buffer.from(view).toString())
      if (pauseNext) {
        pauseNext = false
        return PAUSE
      }
      return 0
    }
    parser.onComplete = () => void completions++
    // The first read ends in the middle of the first body.
    const cut = firstBody + 4
    expect(parser.execute(input.subarray(0, cut))).toBe(cut)
    // Paused by that piece: nothing more is consumed until resume().
    expect(parser.execute(input.subarray(cut))).toBe(0)
    expect(bodies).toEqual(['0123'])
    expect(parser.inMessage).toBe(true)
    parser.resume()
    expect(parser.execute(input.subarray(cut))).toBe(input.length - cut)
    expect(bodies).toEqual(['0123', '456789', 'abc'])
    expect(completions).toBe(2)
    parser.destroy()
  })

  it('a pause in the middle of a chunk: consumed is the end of the delivered piece', () => {
    const input = latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
    const parser = new ResponseParser()
    const seen: string[] = []
    parser.onBody = (view) => {
      seen.push(Buffer.from(view).toString())
      return PAUSE
    }
    const first = parser.execute(input)
    expect(seen).toEqual(['hello'])
    expect(input.subarray(first - 5, first).toString()).toBe('hello')
    parser.resume()
    const second = parser.execute(input.subarray(first))
    expect(seen).toEqual(['hello', ' world'])
    expect(input.subarray(first + second - 6, first + second).toString()).toBe(' world')
    parser.resume()
    expect(parser.execute(input.subarray(first + second))).toBe(input.length - first - second)
    expect(parser.inMessage).toBe(false)
    parser.destroy()
  })

  it('onComplete returning PAUSE stops before the next pipelined response', () => {
    const a = simple('first')
    const b = simple('second', 'X-Second: yes\r\n')
    const parser = new ResponseParser()
    const statuses: string[] = []
    parser.onHeaders = (p) => void statuses.push(p.header('x-second') ?? 'no')
    parser.onComplete = () => PAUSE
    const both = Buffer.concat([a, b])
    expect(parser.execute(both)).toBe(a.length)
    expect(statuses).toEqual(['no'])
    expect(parser.inMessage).toBe(false)
    parser.resume()
    expect(parser.execute(both.subarray(a.length))).toBe(b.length)
    expect(statuses).toEqual(['no', 'yes'])
    parser.destroy()
  })

  it('pausing after every piece yields the same result as not pausing, however split', () => {
    const input = Buffer.concat([simple('one'), latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n'), simple('four')])
    const random = prng(42)
    for (let round = 0; round < 20; round++) {
      const parser = new ResponseParser()
      let body = ''
      let completions = 0
      parser.onBody = (view) => {
        body += Buffer.from(view).toString()
        return PAUSE
      }
      parser.onComplete = () => {
        completions++
        return PAUSE
      }
      for (const piece of randomSplit(input, random, 5)) {
        let offset = 0
        for (let guard = 0; offset < piece.length && guard < 100; guard++) {
          offset += parser.execute(piece.subarray(offset))
          parser.resume()
        }
        expect(offset).toBe(piece.length)
      }
      expect(body).toBe('onetwothreefour')
      expect(completions).toBe(3)
      parser.destroy()
    }
  })
})

describe('finish() and inMessage', () => {
  it('is clean with nothing in progress, throws HPE_INVALID_EOF_STATE mid-message', () => {
    const parser = new ResponseParser()
    expect(parser.inMessage).toBe(false)
    expect(parser.finish()).toBe(true)
    parser.execute(latin1('HTTP/1.1 200 OK\r\nContent-Le'))
    expect(parser.inMessage).toBe(true)
    const error = (() => {
      try {
        parser.finish()
      } catch (e) {
        return e
      }
      return null
    })()
    expect(error).toBeInstanceOf(HttpParserError)
    expect((error as HttpParserError).llhttpCode).toBe('HPE_INVALID_EOF_STATE')
    // The parser stays failed: execute() throws the same error, finish() reports an unclean EOF.
    expect(() => parser.execute(latin1('x'))).toThrow(error as Error)
    expect(parser.finish()).toBe(false)
    parser.reset()
    expect(parser.inMessage).toBe(false)
    expect(parser.execute(simple('ok'))).toBe(simple('ok').length)
    parser.destroy()
  })

  it('throws for a body cut short (content-length and chunked)', () => {
    for (const text of ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel']) {
      const parser = new ResponseParser()
      parser.execute(latin1(text))
      expect(parser.inMessage).toBe(true)
      expect(() => parser.finish()).toThrow(HttpParserError)
      parser.destroy()
    }
  })

  it('completes a read-until-close body even while paused', () => {
    const parser = new ResponseParser()
    let completions = 0
    parser.onBody = () => PAUSE
    parser.onComplete = () => void completions++
    const input = latin1('HTTP/1.1 200 OK\r\n\r\nuntil close')
    expect(parser.execute(input)).toBe(input.length)
    expect(parser.finish()).toBe(true)
    expect(completions).toBe(1)
    expect(parser.keepAlive).toBe(false)
    parser.destroy()
  })
})

describe('upgrade', () => {
  it('stops after a 101 head and leaves the new protocol bytes unconsumed', () => {
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'
    const input = latin1(head + '\x81\x05hello')
    const parser = new ResponseParser()
    let completions = 0
    parser.onComplete = () => void completions++
    expect(parser.execute(input)).toBe(head.length)
    expect(parser.upgrade).toBe(true)
    expect(parser.statusCode).toBe(101)
    expect(completions).toBe(1)
    expect(parser.execute(input.subarray(head.length))).toBe(0)
    expect(parser.finish()).toBe(true)
    parser.destroy()
  })
})

describe('handlers', () => {
  it('an exception in a handler comes out of execute(); the parser is failed until reset()', () => {
    const parser = new ResponseParser()
    const boom = new Error('boom')
    parser.onHeaders = () => {
      throw boom
    }
    expect(() => parser.execute(simple('a'))).toThrow(boom)
    expect(() => parser.execute(simple('a'))).toThrow(boom)
    parser.reset()
    parser.onHeaders = null
    let body = ''
    parser.onBody = (v) => void (body += Buffer.from(v).toString())
    parser.execute(simple('again'))
    expect(body).toBe('again')
    parser.destroy()
  })

  it('execute() of the same parser from its own handler is refused', () => {
    const parser = new ResponseParser()
    parser.onHeaders = (p) => void p.execute(latin1('x'))
    expect(() => parser.execute(simple('a'))).toThrow(InvalidArgumentError)
    parser.destroy()
  })

  it('a handler may feed another parser (the shared input buffer is in use)', () => {
    const outer = new ResponseParser()
    const inner = new ResponseParser()
    const innerBodies: string[] = []
    const outerBodies: string[] = []
    inner.onBody = (v) => void innerBodies.push(Buffer.from(v).toString())
    outer.onBody = (v) => {
      outerBodies.push(Buffer.from(v).toString())
      inner.execute(simple('inner-' + outerBodies.length))
    }
    outer.execute(Buffer.concat([simple('outer-1'), simple('outer-2')]))
    expect(outerBodies).toEqual(['outer-1', 'outer-2'])
    expect(innerBodies).toEqual(['inner-1', 'inner-2'])
    outer.destroy()
    inner.destroy()
  })

  it('destroy() from a handler takes effect when execute() returns', () => {
    const parser = new ResponseParser()
    parser.onComplete = (p) => void p.destroy()
    const input = simple('bye')
    expect(parser.execute(input)).toBe(input.length)
    expect(() => parser.execute(input)).toThrow(InvalidArgumentError)
    parser.destroy()
  })
})

describe('many parsers share one WASM instance', () => {
  it('interleaved parsers do not interfere; destroyed states are reused', () => {
    const random = prng(99)
    const count = 40
    const inputs = Array.from({ length: count }, (_, i) =>
      i % 2 === 0
        ? simple(`body-${i}-`.repeat(i + 1), `X-Parser: ${i}\r\n`)
        : latin1(`HTTP/1.1 20${i % 10} OK\r\nX-Parser: ${i}\r\nTransfer-Encoding: chunked\r\n\r\n${(i + 3).toString(16)}\r\n${'c'.repeat(i + 3)}\r\n0\r\n\r\n`),
    )
    for (let generation = 0; generation < 3; generation++) {
      const parsers = inputs.map(() => new ResponseParser())
      const results = inputs.map(() => ({ header: '', body: '', done: 0 }))
      parsers.forEach((parser, i) => {
        parser.onHeaders = (p) => void (results[i]!.header = p.header('x-parser')!)
        parser.onBody = (v) => void (results[i]!.body += Buffer.from(v).toString())
        parser.onComplete = () => void results[i]!.done++
      })
      const queues = inputs.map((input) => randomSplit(input, random, 6))
      // Round-robin over the parsers, one piece each, until all are fed.
      for (let round = 0; round < 10; round++) {
        queues.forEach((queue, i) => {
          const piece = queue.shift()
          if (piece !== undefined) expect(parsers[i]!.execute(piece)).toBe(piece.length)
        })
      }
      for (const [i, input] of inputs.entries()) {
        const reference = feed([input])
        expect(results[i]!.header).toBe(String(i))
        expect(results[i]!.body).toBe(reference.messages[0]!.body)
        expect(results[i]!.done).toBe(1)
      }
      for (const parser of parsers) parser.destroy()
    }
  })
})
