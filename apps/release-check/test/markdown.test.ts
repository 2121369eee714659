// The block extractor the docs test relies on: languages, markers, lines, indentation.
import { describe, expect, it } from 'vitest'
import { codeBlocks, foreignHosts } from '../src/markdown.js'

describe('codeBlocks', () => {
  it('finds ts/typescript/js/javascript blocks with their first code line and markers', () => {
    const md = ['# t', '', '```ts', 'const a = 1', '```', 'text', '```sh', 'npm test', '```', '```js no-run', 'x()', '```', '```typescript', 'y', '```'].join('\n')
    expect(codeBlocks(md)).toEqual([
      { lang: 'ts', flags: [], line: 4, code: 'const a = 1' },
      { lang: 'js', flags: ['no-run'], line: 11, code: 'x()' },
      { lang: 'ts', flags: [], line: 14, code: 'y' },
    ])
  })

  it('takes blocks indented in a list item and a longer closing fence', () => {
    const md = ['- item', '', '   ```ts', '   const a = 1', '     nested()', '   ````', 'after'].join('\n')
    expect(codeBlocks(md)).toEqual([{ lang: 'ts', flags: [], line: 4, code: 'const a = 1\n  nested()' }])
  })

  it('ignores a fence in the middle of a block of another language', () => {
    const md = ['````md', '```ts', 'inner', '```', '````', '```ts', 'outer', '```'].join('\n')
    expect(codeBlocks(md).map((b) => b.code)).toEqual(['outer'])
  })
})

describe('foreignHosts', () => {
  it('allows the loopback and flags every other host', () => {
    const code = `get('http://127.0.0.1:8080/a'); get("https://localhost/"); get('http://[::1]:1/'); get('https://api.example.com/x'); new WebSocket('wss://user:pw@echo.example.org/ws')`
    expect(foreignHosts(code)).toEqual(['api.example.com', 'echo.example.org'])
  })

  it('flags hosts given as hostname/host/servername options too', () => {
    const code = `connect({ protocol: 'https:', hostname: 'example.com', port: 443 }); connect({ host: "127.0.0.1" }); tls({ servername: 'api.test' }); net.connect({ host: '::1' })`
    expect(foreignHosts(code)).toEqual(['example.com', 'api.test'])
  })
})
