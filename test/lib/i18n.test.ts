import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS, inviteGoneText, MESSAGES, TEAM_WORDS } from '../../src/lib/i18n'
import { TELEGRAM_DASHBOARD_WORDS } from '../../src/lib/i18n/telegram-messages'
import { deliveryReasonText } from '../../src/lib/i18n/delivery-reasons'
import { FIXED_DELIVERY_REASONS, isDeliveryReason } from '../../src/services/delivery/reasons'
import { strings } from '../support/language'

// The served pages in both languages: test/worker/pages.test.ts and honest-words.test.ts.

describe('every page in both languages', () => {
  it('has every dashboard and page string in German and English', () => {
    for (const [de, en] of [
      [DASHBOARD_WORDS.de, DASHBOARD_WORDS.en],
      [TEAM_WORDS.de, TEAM_WORDS.en],
      [MESSAGES.de, MESSAGES.en],
    ] as const) {
      const keys = (o: object): string[] =>
        Object.entries(o).flatMap(([k, v]) =>
          v && typeof v === 'object' ? keys(v).map((sub) => `${k}.${sub}`) : [k],
        )
      expect(keys(de).sort()).toEqual(keys(en).sort())
      for (const text of [...strings(de), ...strings(en)]) expect(text.trim()).not.toBe('')
    }
  })
})

describe('no public sentence promises what the product cannot do', () => {
  it('never says the admins revoked a member’s personal link that ended with their membership', () => {
    const referral = { referrerMemberId: 'mem_01' }
    expect(inviteGoneText(MESSAGES.en, 'revoked', referral)).toBe(
      'This was a member’s personal invite link. It no longer works because they are no longer a member or the admins withdrew it. Ask for a new one.',
    )
    expect(inviteGoneText(MESSAGES.de, 'revoked', referral)).toContain(
      'weil die Person kein Mitglied mehr ist',
    )
    // A campaign link the admins revoked still says so.
    expect(inviteGoneText(MESSAGES.en, 'revoked', { referrerMemberId: null })).toBe(
      MESSAGES.en.revokedText,
    )
    expect(inviteGoneText(MESSAGES.en, 'expired', referral)).toBe(MESSAGES.en.expiredText)
  })

  it('claims no removal from a chat, no join before a confirmation, no message nobody sends', () => {
    for (const lang of ['de', 'en'] as const) {
      const all = strings(MESSAGES[lang]).join('\n')
      // Leaving or removal takes no one out of WhatsApp groups.
      expect(all).not.toMatch(/alle Gruppen|all (of its )?groups/i)
      // An open community with a double opt-in lets no one in before they confirm.
      expect(MESSAGES[lang].openCommunity).not.toMatch(/sofort|at once/i)
      // Nothing sends the chat link later: the status page shows it once it is there.
      expect(MESSAGES[lang].noChatYet).not.toMatch(/teilen .* mit dir|share .* with you/i)
      // A closed community's admins decide; they do not approve everyone.
      expect(MESSAGES[lang].closedCommunity).not.toMatch(/bestätigt|approves/i)
    }
  })
})

describe('the approval queue', () => {
  it('words the bulk buttons of web and Telegram requests alike', () => {
    for (const lang of ['de', 'en'] as const) {
      expect(TELEGRAM_DASHBOARD_WORDS[lang].approveSelected).toBe(
        DASHBOARD_WORDS[lang].approveSelected,
      )
    }
    // Both refusals read alike in German; English keeps each list's own verb (rejected on the
    // web, declined on Telegram), as their statuses say.
    expect(TELEGRAM_DASHBOARD_WORDS.de.declineSelected).toBe(DASHBOARD_WORDS.de.rejectSelected)
  })
})

describe('why a delivery did not go out', () => {
  it('reads in German on German pages, every stored phrase, and as stored in English', () => {
    const varying = [
      'HTTP 503 from the endpoint',
      'HTTP 400 from the endpoint (error 131008)',
      'WhatsApp could not deliver it (error 131000)',
    ]
    for (const reason of [...FIXED_DELIVERY_REASONS, ...varying]) {
      expect(isDeliveryReason(reason), reason).toBe(true)
      expect(deliveryReasonText('en', reason)).toBe(reason)
      const german = deliveryReasonText('de', reason)
      expect(german, reason).not.toBe(reason)
      expect(german, reason).not.toMatch(/\b(from|the|outcome|could|refused|paused|address)\b/)
    }
    expect(deliveryReasonText('de', 'HTTP 400 from the endpoint (error 131008)')).toBe(
      'HTTP 400 vom Endpunkt (Fehler 131008)',
    )
    expect(deliveryReasonText('de', 'refused: private address')).toBe(
      'Adresse abgelehnt: eine private Adresse',
    )
    expect(
      deliveryReasonText(
        'de',
        'broadcast paused: Spam rate limit reached: the broadcast was paused',
      ),
    ).toBe('Versand angehalten: Spam-Grenze erreicht: Der Versand wurde angehalten')
  })
})
