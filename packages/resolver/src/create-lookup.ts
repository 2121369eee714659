import type { LookupAddress, LookupOptions } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { DnsError } from '@sonic/core'
import type { AddressFamily, Resolver } from './resolver.js'

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

function toFamily(family: LookupOptions['family'] | undefined): AddressFamily {
  if (family === 4 || family === 'IPv4') return 4
  if (family === 6 || family === 'IPv6') return 6
  return 0
}

/**
 * Adapts a Resolver to node's `lookup` option, so `net.connect` / `tls.connect` (and node's
 * `http.request`) resolve through it. With `autoSelectFamily: true` (node's default since 20)
 * node asks for every address (`all: true`) and dials them Happy-Eyeballs style: it alternates
 * families starting with the first address and starts the next attempt when one has not
 * connected within `autoSelectFamilyAttemptTimeout` (250 ms by default).
 *
 * Supports `options.family` (0, 4, 6, 'IPv4', 'IPv6') and `options.all`; `hints` are ignored.
 * Errors reach the callback as they come from the resolver (a `DnsError`, code `SONIC_DNS_ERROR`).
 *
 * @example
 * const lookup = createLookup(new CaresResolver({ nameservers: ['127.0.0.1:5353'] }))
 * const socket = net.connect({ host: 'api.internal', port: 8080, lookup, autoSelectFamily: true })
 */
export function createLookup(resolver: Resolver): LookupFunction {
  return function lookup(hostname: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback) {
    // dns.lookup's signature also allows (hostname, callback) and (hostname, family, callback).
    let opts: LookupOptions
    if (typeof options === 'function') {
      callback = options
      opts = {}
    } else {
      opts = typeof options === 'number' ? { family: options } : (options ?? {})
    }
    const cb = callback as LookupCallback
    resolver.resolve(hostname, 0, toFamily(opts.family)).then(
      (addresses) => {
        // Call back outside the promise chain: an exception in the callback must surface, not vanish.
        if (opts.all) {
          const all = addresses.map((a) => ({ address: a.host, family: a.family }))
          process.nextTick(cb, null, all)
        } else {
          const first = addresses[0]
          if (first === undefined) process.nextTick(cb, new DnsError(hostname, `No address found for ${hostname}`), '', 0)
          else process.nextTick(cb, null, first.host, first.family)
        }
      },
      (err: NodeJS.ErrnoException) => {
        if (opts.all) process.nextTick(cb, err, [])
        else process.nextTick(cb, err, '', 0)
      },
    )
  } as LookupFunction
}
