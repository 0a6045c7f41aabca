import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderSvg, scanQrCodes } from '../support/qr-scanner'
import { apiClient, startWorker, type RunningWorker } from '../support/worker-server'
import { logoPng, toBase64 } from '../support/png-logo'

let worker: RunningWorker
let invite: { code: string; url: string; qrSvgUrl: string; qrPngUrl: string }

beforeAll(async () => {
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
})

async function download(url: string): Promise<Uint8Array> {
  const response = await fetch(url)
  expect(response.status, url).toBe(200)
  return new Uint8Array(await response.arrayBuffer())
}

/** The one QR code in an image, as a phone's scanner reads it. */
async function scan(image: Uint8Array): Promise<string | undefined> {
  const codes = await scanQrCodes(image)
  expect(codes.length).toBeLessThanOrEqual(1)
  return codes[0]
}

describe('QR codes decode with a real scanner', () => {
  it('the link encodes the public landing URL marked as a scan', () => {
    expect(invite.url).toBe(`${worker.url}/i/${invite.code}`)
  })

  it('the PNG decodes to the landing URL marked as a scan', async () => {
    expect(await scan(await download(invite.qrPngUrl))).toBe(`${invite.url}?via=qr`)
  })

  it('the SVG, rendered to pixels, decodes too', async () => {
    const svg = await download(`${invite.qrSvgUrl}?size=400`)
    expect(await scan(renderSvg(svg, 400))).toBe(`${invite.url}?via=qr`)
  })

  for (const level of ['L', 'M', 'Q', 'H']) {
    it(`decodes with error-correction level ${level}, as PNG and as SVG`, async () => {
      const png = await download(`${invite.qrPngUrl}?level=${level}&size=256`)
      expect(await scan(png)).toBe(`${invite.url}?via=qr`)
      const svg = await download(`${invite.qrSvgUrl}?level=${level}`)
      expect(await scan(renderSvg(svg, 512))).toBe(`${invite.url}?via=qr`)
    })
  }

  it('decodes in custom colours and at the smallest size', async () => {
    for (const query of ['fg=1d3557&bg=f1faee&margin=2', 'size=64', 'size=2048&level=H']) {
      expect(await scan(await download(`${invite.qrPngUrl}?${query}`)), query).toBe(
        `${invite.url}?via=qr`,
      )
    }
    const svg = await download(`${invite.qrSvgUrl}?fg=5a189a&bg=fff8e7`)
    expect(await scan(renderSvg(svg, 300))).toBe(`${invite.url}?via=qr`)
  })

  it('refuses colours a scanner cannot read rather than serving an unreadable code', async () => {
    const lowContrast = await fetch(`${invite.qrPngUrl}?fg=bbbbbb&bg=ffffff`)
    expect(lowContrast.status).toBe(400)
    const inverted = await fetch(`${invite.qrPngUrl}?fg=ffffff&bg=000000`)
    expect(inverted.status).toBe(400)
  })

  it('without a quiet zone (margin=0) the code still decodes', async () => {
    expect(await scan(await download(`${invite.qrPngUrl}?margin=0`))).toBe(`${invite.url}?via=qr`)
  })

  it('the scanned URL opens the landing page and counts as a scan', async () => {
    const scanned = await scan(await download(invite.qrPngUrl))
    const page = await fetch(scanned!, {
      headers: {
        'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148',
      },
    })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Scan Club')
  })

  it('designs with a logo, colours and each module shape decode, as PNG and as SVG', async () => {
    const api = apiClient(worker.url)
    const community = await api('GET', '/api/communities?limit=1')
    const designed = await api('POST', `/api/communities/${community.data[0].id}/invites`, {
      source: 'designed poster',
    })
    const logo = toBase64(await logoPng(128))
    for (const style of ['square', 'dots', 'rounded']) {
      for (const colours of [
        { fg: '1d3557', bg: 'f1faee' },
        { fg: '5a189a', bg: 'fff8e7' },
      ]) {
        await api('PATCH', `/api/invites/${designed.id}`, {
          qrDesign: { ...colours, style, margin: 3, logoPng: logo },
        })
        const label = `${style} ${colours.fg}`
        const png = await download(`${designed.qrPngUrl}?size=512`)
        expect(await scan(png), label).toBe(`${designed.url}?via=qr`)
        const svg = await download(designed.qrSvgUrl)
        expect(new TextDecoder().decode(svg), label).toContain('<image')
        expect(await scan(renderSvg(svg, 600)), label).toBe(`${designed.url}?via=qr`)
      }
    }
  })
})
