import { describe, expect, test } from 'vitest'
import { InvalidArgumentError } from '@sonic/core'
import { acceptExtensions, DeflateCodec, deflateOffer, parseExtensions } from './permessage-deflate.js'

describe('permessage-deflate negotiation', () => {
  test('the offer header for each option', () => {
    expect(deflateOffer(true)!.header).toBe('permessage-deflate; client_max_window_bits')
    expect(deflateOffer(false)).toBeNull()
    expect(
      deflateOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 })!.header,
    ).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11')
    expect(deflateOffer({ clientMaxWindowBits: false })!.header).toBe('permessage-deflate')
    expect(() => deflateOffer({ serverMaxWindowBits: 7 })).toThrow(InvalidArgumentError)
    expect(() => deflateOffer({ threshold: -1 })).toThrow(InvalidArgumentError)
  })

  test('parsing: parameters, quoted values, case', () => {
    expect(parseExtensions('Permessage-Deflate; Client_Max_Window_Bits="10"; server_no_context_takeover')).toEqual([
      { name: 'permessage-deflate', params: new Map<string, string | null>([['client_max_window_bits', '10'], ['server_no_context_takeover', null]]) },
    ])
    expect(() => parseExtensions('bad name')).toThrow()
  })

  test('what an answer agrees', () => {
    const offer = deflateOffer(true)!
    expect(acceptExtensions(null, offer)).toBeNull()
    expect(acceptExtensions('permessage-deflate', offer)).toMatchObject({ clientNoContextTakeover: false, serverNoContextTakeover: false, clientWindowBits: 15 })
    expect(acceptExtensions('permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits=9', offer)).toMatchObject({
      clientNoContextTakeover: true,
      serverNoContextTakeover: true,
      clientWindowBits: 9,
    })
    expect(() => acceptExtensions('permessage-deflate; client_max_window_bits', offer)).toThrow(/value/)
    expect(() => acceptExtensions('x-webkit-deflate-frame', offer)).toThrow(/did not offer/)
  })

  test('the codec round-trips with and without context takeover', async () => {
    for (const nct of [false, true]) {
      const c = new DeflateCodec({ clientNoContextTakeover: nct, serverNoContextTakeover: nct, clientWindowBits: 15, threshold: 0 })
      const text = 'round trip '.repeat(500)
      for (let i = 0; i < 3; i++) {
        const z = await c.compress(text)
        expect(z.length).toBeLessThan(text.length / 10)
        expect((await c.decompress([z.subarray(0, 3), z.subarray(3)], 0)).toString()).toBe(text)
      }
      c.close()
    }
  })
})
