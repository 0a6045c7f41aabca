import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/lib/config'
import { checkOutboundUrl, fetchOutbound } from '../../src/lib/outbound'
import { ALLOWED, REFUSED } from './outbound-cases'
import { wranglerVars } from './wrangler-vars'

// As a deployment runs: ALLOW_HTTP_WEBHOOKS is false in wrangler.toml.
const env = wranglerVars()
const deployed = { allowLoopbackHttp: false }

describe('checkOutboundUrl: only https to public hosts, in every notation', () => {
  it.each(REFUSED)('refuses %s (%s)', (url, reason) => {
    expect(checkOutboundUrl(url, deployed)).toEqual({ ok: false, reason })
  })

  it.each(ALLOWED)('allows %s', (url) => {
    expect(checkOutboundUrl(url, deployed)).toMatchObject({ ok: true })
  })

  it('admits plain http and local hosts in local development only, never credentials', () => {
    const local = { allowLoopbackHttp: true }
    for (const url of [
      'http://127.0.0.1:8790/webhook',
      'http://localhost:8790/events',
      'https://[::1]:8443/',
      'http://10.0.0.5/hook',
    ]) {
      expect(checkOutboundUrl(url, local), url).toMatchObject({ ok: true })
      expect(checkOutboundUrl(url, deployed), url).toMatchObject({ ok: false })
    }
    expect(checkOutboundUrl('ftp://127.0.0.1/', local)).toEqual({
      ok: false,
      reason: 'must be https',
    })
    expect(checkOutboundUrl('http://a:b@127.0.0.1/', local)).toEqual({
      ok: false,
      reason: 'must not contain a user name or password',
    })
  })

  it('fetchOutbound refuses such a URL itself, without sending anything', async () => {
    for (const url of ['https://169.254.169.254/latest/meta-data/', 'http://hooks.example.com/']) {
      const result = await fetchOutbound(url, { method: 'POST' }, { ...deployed, timeoutMs: 1000 })
      expect(result).toMatchObject({ ok: false, retryable: false })
      expect(!result.ok && result.reason).toMatch(/^refused: /)
    }
  })
})

describe('configuration: outbound URLs are checked when it is read', () => {
  it('refuses a delivery webhook, Cloud API or Turnstile URL on a private host or plain http', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { DELIVERY_WEBHOOK_URL: 'https://169.254.169.254/latest' },
        /DELIVERY_WEBHOOK_URL: refused: link-local address/,
      ],
      [
        { DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:8790/webhook' },
        /DELIVERY_WEBHOOK_URL: refused: must be https/,
      ],
      [
        { WHATSAPP_API_BASE: 'https://[::ffff:10.1.2.3]' },
        /WHATSAPP_API_BASE: refused: private address/,
      ],
      [
        { TURNSTILE_VERIFY_URL: 'https://localhost./siteverify' },
        /TURNSTILE_VERIFY_URL: refused: local host name/,
      ],
    ]
    for (const [vars, message] of cases) {
      expect(() => loadConfig({ ...env, ...vars } as Env)).toThrow(message)
    }
  })

  it('accepts public https URLs, an unset delivery URL, and loopback http in local development', () => {
    const config = loadConfig({
      ...env,
      DELIVERY_WEBHOOK_URL: 'https://hooks.example.com/announcements',
    } as Env)
    expect(config.DELIVERY_WEBHOOK_URL).toBe('https://hooks.example.com/announcements')
    expect(loadConfig({ ...env, DELIVERY_WEBHOOK_URL: '' } as Env).DELIVERY_WEBHOOK_URL).toBe(
      undefined,
    )
    const local = loadConfig({
      ...env,
      ALLOW_HTTP_WEBHOOKS: 'true',
      DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:8790/webhook',
    } as Env)
    expect(local.DELIVERY_WEBHOOK_URL).toBe('http://127.0.0.1:8790/webhook')
  })
})
