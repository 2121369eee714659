import { InvalidArgumentError } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { parseArgs } from './args.js'

const known = { peers: ['sonic', 'undici-request', 'got'], workloads: ['small-1', 'small-50', 'json-1k'] }
const parse = (...argv: string[]) => parseArgs(argv, known)

describe('parseArgs', () => {
  it('defaults to the embedded server, worker processes, pinning and this Node', () => {
    expect(parse()).toMatchObject({ server: 'embedded', inline: false, pin: true, node: undefined })
  })

  it('reads --server nginx, --node (or BENCH_NODE), --inline and --no-pin', () => {
    expect(parse('--server', 'nginx', '--node', '/opt/node24/bin/node', '--no-pin')).toMatchObject({ server: 'nginx', node: '/opt/node24/bin/node', pin: false })
    expect(parse('--inline')).toMatchObject({ inline: true, node: undefined })
    expect(parseArgs([], known, { BENCH_NODE: '/n/bin/node' }).node).toBe('/n/bin/node')
    expect(parseArgs(['--node=/a'], known, { BENCH_NODE: '/b' }).node).toBe('/a')
    expect(parseArgs([], known, { BENCH_NODE: '' }).node).toBeUndefined()
  })

  it('has defaults of at least 5 rounds of 500 ms', () => {
    const o = parse()
    expect(o).toMatchObject({ quick: false, rounds: 5, durationMs: 500, warmupMs: 300, only: [], workloads: [], target: undefined })
  })

  it('--quick shortens everything', () => {
    expect(parse('--quick')).toMatchObject({ quick: true, rounds: 3, durationMs: 150, warmupMs: 100, ceilingMs: 150 })
  })

  it('explicit values win over --quick, in both flag forms', () => {
    const o = parse('--quick', '--rounds', '7', '--duration=250', '--warmup', '0')
    expect(o).toMatchObject({ rounds: 7, durationMs: 250, warmupMs: 0 })
  })

  it('reads --only and --workloads lists, dropping repeats', () => {
    const o = parse('--only', 'got,sonic,got', '--workloads=json-1k')
    expect(o.only).toEqual(['got', 'sonic'])
    expect(o.workloads).toEqual(['json-1k'])
  })

  it('keeps a workload named with --quick (selectWorkloads then runs it even if it is not in --quick)', () => {
    const o = parseArgs(['--quick', '--workloads', 'proxy-small'], { ...known, workloads: [...known.workloads, 'proxy-small'] })
    expect(o).toMatchObject({ quick: true, workloads: ['proxy-small'] })
  })

  it('normalises --target to an origin and keeps --out', () => {
    const o = parse('--target', 'http://127.0.0.1:8080/', '--out', '/tmp/x')
    expect(o.target).toBe('http://127.0.0.1:8080')
    expect(o.outDir).toBe('/tmp/x')
  })

  it('ignores a bare -- (as passed through by npm/turbo)', () => {
    expect(parse('--', '--quick').quick).toBe(true)
  })

  it.each([
    [['--rounds', '0'], /--rounds expects an integer >= 1/],
    [['--rounds', 'many'], /--rounds expects an integer/],
    [['--duration', '-5'], /--duration expects an integer/],
    [['--only', 'curl'], /unknown "curl" \(known: sonic, undici-request, got\)/],
    [['--workloads', 'small-1,h3'], /unknown "h3"/],
    [['--target', 'not a url'], /--target expects a URL/],
    [['--target', 'https://example.com'], /must be an http:\/\/ URL/],
    [['--speed'], /unknown option "--speed"/],
    [['--rounds'], /--rounds needs a value/],
    [['--rounds', '--quick'], /--rounds needs a value/],
    [['--quick=yes'], /--quick takes no value/],
    [['fast'], /unexpected argument "fast"/],
    [['--server', 'apache'], /--server expects embedded or nginx, got "apache"/],
    [['--server', 'nginx', '--target', 'http://127.0.0.1:8080'], /exclude each other/],
    [['--inline', '--node', '/usr/bin/node'], /--node needs worker processes/],
    [['--no-pin=1'], /--no-pin takes no value/],
  ])('rejects %j with a clear InvalidArgumentError', (argv, message) => {
    let error: unknown
    try {
      parse(...argv)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).toMatch(message)
  })
})
