import { describe, expect, it } from 'vitest'
import { loadConfig, signingSecret, telegramLinkForPeople } from '../../src/lib/config'
import { wranglerVars } from './wrangler-vars'

// As a deployment runs, with the secrets each case sets.
const env = wranglerVars()

describe('configuration: the secrets links are signed with', () => {
  it('refuses a short ADMIN_TOKEN as the signing key: signed links would let it be guessed offline', () => {
    expect(() => loadConfig({ ...env, ADMIN_TOKEN: 'owner-token-2026' } as Env)).toThrow(
      /SIGNING_SECRET: required while ADMIN_TOKEN has fewer than 32 characters/,
    )
    // With a signing secret of its own, the same token is fine: links are signed with that.
    const own = 'a-signing-secret-of-its-own-0123456789'
    const config = loadConfig({
      ...env,
      ADMIN_TOKEN: 'owner-token-2026',
      SIGNING_SECRET: own,
    } as Env)
    expect(signingSecret(config)).toBe(own)
  })

  it('signs with a long ADMIN_TOKEN where no signing secret is set, so a fresh setup works', () => {
    const token = 'owner-token-long-enough-to-sign-0123'
    expect(signingSecret(loadConfig({ ...env, ADMIN_TOKEN: token } as Env))).toBe(token)
  })

  it('refuses an ADMIN_TOKEN shaped like the tokens the API makes, which no limit counts', () => {
    const shaped = `cg_${'A'.repeat(43)}`
    expect(() =>
      loadConfig({
        ...env,
        ADMIN_TOKEN: shaped,
        SIGNING_SECRET: 'a-signing-secret-of-its-own-0123456789',
      } as Env),
    ).toThrow(/ADMIN_TOKEN: must not have the shape of the tokens the API makes/)
  })
})

describe('configuration: where Telegram’s links open for people', () => {
  it('opens them at t.me unless told, and elsewhere only at a public https host', () => {
    const deployed = loadConfig({
      ...env,
      ADMIN_TOKEN: 'owner-token-long-enough-to-sign-0123',
    } as Env)
    expect(telegramLinkForPeople(deployed, 'https://t.me/+AbCdEf')).toBe('https://t.me/+AbCdEf')
    expect(() =>
      loadConfig({ ...env, TELEGRAM_LINK_BASE: 'http://127.0.0.1:8790/telegram/t.me' } as Env),
    ).toThrow(/TELEGRAM_LINK_BASE: refused: must be https/)
  })

  it('points invite links and the bot’s links at the local Telegram page under npm run dev', () => {
    const local = loadConfig({
      ...env,
      ALLOW_HTTP_WEBHOOKS: 'true',
      TELEGRAM_LINK_BASE: 'http://127.0.0.1:8790/telegram/t.me/',
    } as Env)
    expect(telegramLinkForPeople(local, 'https://t.me/+AbCdEf')).toBe(
      'http://127.0.0.1:8790/telegram/t.me/+AbCdEf',
    )
    expect(telegramLinkForPeople(local, 'https://t.me/paddle_bot?start=mem_1-x')).toBe(
      'http://127.0.0.1:8790/telegram/t.me/paddle_bot?start=mem_1-x',
    )
    // Anything not Telegram's is left as it is.
    expect(telegramLinkForPeople(local, 'https://chat.whatsapp.com/AbC')).toBe(
      'https://chat.whatsapp.com/AbC',
    )
  })
})
