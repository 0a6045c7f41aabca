/**
 * Notifications as the WhatsApp Cloud API sends them to a business's webhook: the documented
 * `whatsapp_business_account` envelope (`entry[].changes[]`, `field`, `value`), signed with the
 * app secret in `X-Hub-Signature-256`. Used by the tests that play Meta's part (the local
 * stand-ins of `npm run dev`, `scripts/stand-ins.mjs`, send the same shapes). Web Crypto only, so
 * it runs in Node and in workerd alike.
 */
export const APP_SECRET = 'test-app-secret-0123456789'
export const VERIFY_TOKEN = 'test-verify-token-0123'
export const PHONE_NUMBER_ID = '1234567890'

function envelope(field: string, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '49301234567', phone_number_id: PHONE_NUMBER_ID },
              ...value,
            },
          },
        ],
      },
    ],
  }
}

const seconds = () => String(Math.floor(Date.now() / 1000))

/**
 * A status of a message the business sent: sent, delivered, read, or failed with an error; at
 * `at` (Meta's time of it), or now.
 */
export function statusNotification(
  wamid: string,
  status: 'sent' | 'delivered' | 'read' | 'failed',
  recipient: string,
  error?: { code: number; title: string },
  at?: Date,
) {
  return envelope('messages', {
    statuses: [
      {
        id: wamid,
        status,
        timestamp: at ? String(Math.floor(at.getTime() / 1000)) : seconds(),
        recipient_id: recipient.replace(/\D/g, ''),
        ...(status !== 'failed'
          ? {
              conversation: { id: 'c1', origin: { type: 'marketing' } },
              pricing: { billable: true, pricing_model: 'PMP', category: 'marketing' },
            }
          : {}),
        ...(error
          ? { errors: [{ code: error.code, title: error.title, error_data: { details: '' } }] }
          : {}),
      },
    ],
  })
}

/**
 * A text a person sent to the business number from their own WhatsApp account, at `sentAt` (Unix
 * seconds as Meta writes them, now unless given: Meta may deliver it much later).
 */
export function textNotification(
  from: string,
  text: string,
  wamid = newWamid(),
  sentAt: number = Math.floor(Date.now() / 1000),
) {
  const waId = from.replace(/\D/g, '')
  return envelope('messages', {
    contacts: [{ profile: { name: 'Someone' }, wa_id: waId }],
    messages: [
      { from: waId, id: wamid, timestamp: String(sentAt), type: 'text', text: { body: text } },
    ],
  })
}

/** A tap on a template's quick-reply button (Meta's marketing opt-out is one). */
export function buttonNotification(from: string, text: string, payload = text) {
  const waId = from.replace(/\D/g, '')
  return envelope('messages', {
    contacts: [{ profile: { name: 'Someone' }, wa_id: waId }],
    messages: [
      {
        from: waId,
        id: newWamid(),
        timestamp: seconds(),
        type: 'button',
        button: { text, payload },
        context: { from: '49301234567', id: newWamid() },
      },
    ],
  })
}

/**
 * A person stopped or resumed marketing messages in WhatsApp's own settings, at `timestamp`
 * (Unix seconds, now unless given: Meta may deliver it much later).
 */
export function preferenceNotification(
  from: string,
  value: 'stop' | 'resume',
  timestamp = Math.floor(Date.now() / 1000),
) {
  const waId = from.replace(/\D/g, '')
  return envelope('user_preferences', {
    contacts: [{ profile: { name: 'Someone' }, wa_id: waId }],
    user_preferences: [
      {
        wa_id: waId,
        detail: `User requested to ${value} marketing messages`,
        category: 'marketing_messages',
        value,
        timestamp,
      },
    ],
  })
}

/**
 * A message id as Meta makes them (the Cloud API documentation's example,
 * `wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA`, decodes to these bytes): base64
 * of a short header, the WhatsApp number's digits, a fixed middle, 18 hex digits and a zero.
 * So the id holds the number, and anything that keeps an id keeps the number.
 */
export function metaWamid(waId: string, unique = randomHex(18)): string {
  const digits = waId.replace(/\D/g, '')
  const bytes = [
    0x1c,
    0x18,
    digits.length,
    ...[...digits].map((c) => c.charCodeAt(0)),
    0x15,
    0x02,
    0x00,
    0x11,
    0x18,
    0x12,
    ...[...unique].map((c) => c.charCodeAt(0)),
    0x00,
  ]
  return `wamid.${btoa(String.fromCharCode(...bytes))}`
}

/** The WhatsApp number a message id made as Meta makes them holds (see `metaWamid`). */
export function numberInWamid(wamid: string): string {
  const bytes = atob(wamid.replace(/^wamid\./, ''))
  return bytes.slice(3, 3 + bytes.charCodeAt(2))
}

function randomHex(length: number): string {
  return crypto.randomUUID().replace(/-/g, '').slice(0, length).toUpperCase()
}

/** A message id for a notification whose sender does not matter. */
export function newWamid(): string {
  return metaWamid('4930' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0'))
}

/** `sha256=` and the hex HMAC-SHA256 of the raw body with the app secret. */
export async function hubSignature(body: string, secret = APP_SECRET): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)))
  return `sha256=${[...mac].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`
}
