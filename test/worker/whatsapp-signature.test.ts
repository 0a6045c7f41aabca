import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { BASE, eventually, handledMessageKey, newPhone, query } from './helpers'
import { hubSignature, newWamid, textNotification } from '../support/whatsapp-notifications'

/**
 * The WhatsApp webhook accepts exactly what Meta sends: `sha256=` and the lower-case hex
 * HMAC-SHA256 of the raw body with the app secret. Every other spelling of a signature, right or
 * wrong, is refused with 401 before anything is queued.
 */

async function post(body: string, signature: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (signature !== null) headers['x-hub-signature-256'] = signature
  const response = await exports.default.fetch(
    new Request(`${BASE}/webhooks/whatsapp`, { method: 'POST', headers, body }),
  )
  return { status: response.status, text: await response.text() }
}

async function appliedKeys(wamids: string[]) {
  const rows = await query<{ key: string }>('select key from inbound_notifications')
  const keys = await Promise.all(wamids.map(handledMessageKey))
  return rows.map((row) => row.key).filter((key) => keys.includes(key))
}

describe('the WhatsApp webhook signature', () => {
  it('refuses every signature that is not Meta’s exact spelling, and queues nothing', async () => {
    const phone = newPhone()
    const refused: string[] = []
    const attempt = async (
      label: string,
      signatureOf: (body: string) => Promise<string | null>,
    ) => {
      const wamid = newWamid()
      const body = JSON.stringify(textNotification(phone, `attempt ${label}`, wamid))
      const answer = await post(body, await signatureOf(body))
      expect(answer.status, `${label}: ${answer.text}`).toBe(401)
      refused.push(wamid)
    }
    const hex = async (body: string) => (await hubSignature(body)).slice('sha256='.length)

    await attempt('upper-case hex', async (body) => `sha256=${(await hex(body)).toUpperCase()}`)
    await attempt('upper-case prefix', async (body) => `SHA256=${await hex(body)}`)
    await attempt('no prefix', hex)
    await attempt('space inside', async (body) => `sha256= ${await hex(body)}`)
    await attempt('63 digits', async (body) => `sha256=${(await hex(body)).slice(0, 63)}`)
    await attempt('65 digits', async (body) => `sha256=${await hex(body)}0`)
    await attempt('two signatures', async (body) => `sha256=${await hex(body)},${await hex(body)}`)
    await attempt('another body', async () => hubSignature('{"object":"page","entry":[]}'))
    await attempt('missing', async () => null)
    await attempt('empty', async () => '')
    for (const signature of [null, '', await hubSignature('x')]) {
      expect((await post('', signature)).status, `empty body, ${signature}`).toBe(401)
    }

    // A notification signed as Meta signs it is queued and applied; by then, had any refused
    // one been queued before it, that one would have been applied too.
    const wamid = newWamid()
    const body = JSON.stringify(textNotification(phone, 'the real one', wamid))
    const accepted = await post(body, await hubSignature(body))
    expect(accepted.status, accepted.text).toBe(200)
    expect(JSON.parse(accepted.text)).toEqual({ received: 1 })
    await eventually(async () => expect(await appliedKeys([wamid])).toHaveLength(1))
    expect(await appliedKeys(refused)).toEqual([])
  })
})
