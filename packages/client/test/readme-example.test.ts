// The README's "Compose your own client" example, run as it is against a local server: a client
// built from @sonic/transport + @sonic/http1 + @sonic/pool + compose, without @sonic/client.
import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { httpServer, useCleanups } from './helpers.js'

const using = useCleanups()
const here = dirname(fileURLToPath(import.meta.url))

function example(): string {
  const readme = readFileSync(join(here, '..', '..', '..', 'README.md'), 'utf8')
  const m = /<!-- compose-example -->\s*```js\n([\s\S]*?)```/.exec(readme)
  if (m === null) throw new Error('README.md has no compose-example block')
  return m[1]!
}

it('the README example builds a working client from the layers, with a user interceptor', async () => {
  const agents: string[] = []
  const srv = using(
    await httpServer((req, res) => {
      agents.push(String(req.headers['user-agent']))
      res.end(`hello from ${req.url}`)
    }),
  )
  // Inside the package, so its bare imports resolve to this workspace's packages.
  const file = join(here, '..', `.readme-example-${process.pid}.mjs`)
  writeFileSync(file, example())
  try {
    // Asynchronously: the server answers from this process.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [file], { env: { ...process.env, ORIGIN: srv.url }, encoding: 'utf8', timeout: 20000 }, (err, stdout, stderr) => {
        resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
      })
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^GET \/ → 200 in \d+\.\d ms$/)
    expect(lines[1]).toBe('hello from /')
    expect(agents).toEqual(['my-client/1.0'])
  } finally {
    rmSync(file, { force: true })
  }
})
