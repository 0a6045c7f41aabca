import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiClient, startWorker, type RunningWorker } from '../support/worker-server'

let worker: RunningWorker
let invite: { code: string; url: string; qrSvgUrl: string; qrPngUrl: string }
const scratch = mkdtempSync(path.join(tmpdir(), 'qr-scan-'))

beforeAll(async () => {
  for (const tool of ['zbarimg', 'rsvg-convert']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' })
    } catch {
      throw new Error(`${tool} is missing: apt-get install zbar-tools librsvg2-bin (see README)`)
    }
  }
  worker = await startWorker()
  const api = apiClient(worker.url)
  const community = await api('POST', '/api/communities', {
    name: 'Scan Club',
    description: 'Codes that phones can read',
    visibility: 'open',
  })
  invite = await api('POST', `/api/communities/${community.id}/invites`, { source: 'poster' })
}, 120_000)

afterAll(async () => {
  await worker?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

async function download(url: string, file: string) {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  const target = path.join(scratch, file)
  writeFileSync(target, new Uint8Array(await response.arrayBuffer()))
  return target
}

/** What a phone's scanner reads: zbar, a decoder we did not write. */
function scan(file: string): string {
  return execFileSync('zbarimg', ['--quiet', '--raw', file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim()
}

describe('QR codes decode with a real scanner', () => {
  it('the PNG decodes to the landing URL marked as a scan', async () => {
    const file = await download(invite.qrPngUrl, 'code.png')
    expect(scan(file)).toBe(`${invite.url}?via=qr`)
  })

  it('the SVG, rendered to PNG, decodes too', async () => {
    const svg = await download(`${invite.qrSvgUrl}?size=400`, 'code.svg')
    const png = path.join(scratch, 'from-svg.png')
    execFileSync('rsvg-convert', ['-w', '400', '-h', '400', '-o', png, svg])
    expect(scan(png)).toBe(`${invite.url}?via=qr`)
  })

  it('decodes with every error-correction level, colours and a small size', async () => {
    for (const [query, name] of [
      ['level=L&size=128', 'l.png'],
      ['level=H&size=200', 'h.png'],
      ['fg=1d3557&bg=f1faee&margin=2', 'colours.png'],
    ]) {
      const file = await download(`${invite.qrPngUrl}?${query}`, name!)
      expect(scan(file), query).toBe(`${invite.url}?via=qr`)
    }
  })

  it('the scanned URL opens the landing page and counts as a scan', async () => {
    const scanned = scan(await download(invite.qrPngUrl, 'again.png'))
    const page = await fetch(scanned, {
      headers: {
        'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148',
      },
    })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Scan Club')
  })
})
