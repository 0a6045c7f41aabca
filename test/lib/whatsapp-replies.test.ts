import { describe, expect, it } from 'vitest'
import { LANGUAGES, type Lang } from '../../src/lib/i18n'
import { chatKeywords, whatsappReplies } from '../../src/lib/i18n/whatsapp-replies'

// What the Worker writes on WhatsApp, in the member's language (test/whatsapp/ sends it).

/** The keywords as configured by default (wrangler.toml), folded as the config folds them. */
const OPT_OUT = ['stop', 'stopp', 'abmelden', 'austragen', 'unsubscribe']
const OPT_IN = ['start']

/** Every text of the replies in `lang`, each function called with the longest it is given. */
function everyReply(lang: Lang | null, link: string | null): string[] {
  const replies = whatsappReplies(lang, (each) => chatKeywords(OPT_OUT, OPT_IN, each))
  // A community's name is at most 100 characters, a rejection's reason 500 (counted as code
  // points: astral ones take two UTF-16 units).
  const name = '𝔅'.repeat(100)
  const reason = '𝔅'.repeat(500)
  return [
    replies.welcome(name, link, true),
    replies.welcome(name, link, false),
    replies.confirmedWaiting(name, link),
    replies.confirmedSeeStatus(name, link),
    replies.codeUnknown,
    replies.stopped(false),
    replies.stopped(true),
    replies.started,
    replies.startHeld,
    replies.startedNoMembership,
    replies.notStopped,
    replies.approved(name, link, true),
    replies.approved(name, link, false),
    replies.rejected(name, reason),
    replies.rejected(name, null),
  ]
}

const LINK = `https://${'community-growth.'.repeat(12)}example.com/s/${'A'.repeat(43)}?lang=de`

describe('the WhatsApp replies', () => {
  it('fit a Cloud API text message (4096 characters) with the longest name, reason and link', () => {
    for (const lang of [...LANGUAGES, null]) {
      for (const text of everyReply(lang, LINK)) expect(text.length).toBeLessThan(4096)
    }
  })

  it('are in German and English together where the language is not known, each naming its keywords', () => {
    const de = everyReply('de', LINK)
    const en = everyReply('en', LINK)
    expect(everyReply(null, LINK)).toEqual(de.map((text, i) => `${text}\n\n${en[i]}`))
    const replies = whatsappReplies(null, (each) => chatKeywords(OPT_OUT, OPT_IN, each))
    expect(replies.codeUnknown).toBe(
      'Dieser Code ist abgelaufen oder gehört zu einer anderen Nummer. Schick ihn von der Nummer, mit der du dich angemeldet hast, oder melde dich über den Einladungslink neu an.\n\nThis code has expired or belongs to another number. Send it from the number you signed up with, or sign up again through the invite link.',
    )
    expect(replies.notStopped).toContain('Mit STOPP meldest du dich ab.')
    expect(replies.notStopped).toContain('Reply STOP to unsubscribe.')
  })

  it('are in one language each, never both', () => {
    for (const text of everyReply('de', LINK)) {
      expect(text).not.toMatch(/\b(you|your|the|to)\b/i)
    }
    for (const text of everyReply('en', LINK)) {
      expect(text).not.toMatch(/\b(du|dein|deine|bei|die|der)\b/i)
    }
  })

  it('never say the person is in a group: we see up to its chat link, not who enters it', () => {
    for (const lang of [...LANGUAGES, null]) {
      for (const text of [...everyReply(lang, LINK), ...everyReply(lang, null)]) {
        expect(text).not.toMatch(/you are in\b|du bist dabei|welcome to|willkommen bei/i)
      }
    }
    const replies = whatsappReplies('en', (each) => chatKeywords(OPT_OUT, OPT_IN, each))
    expect(replies.approved('Kiez Makers', LINK, true)).toBe(
      `Your request to join Kiez Makers is approved: your place is confirmed. To enter the group, open the group link on your status page: ${LINK}`,
    )
    // Without a link we may send, the status page is named, not linked.
    expect(replies.approved('Kiez Makers', null, true)).toMatch(/on your status page\.$/)
  })

  it('send nobody to a group link the status page does not have', () => {
    const en = whatsappReplies('en', (each) => chatKeywords(OPT_OUT, OPT_IN, each))
    expect(en.approved('Kiez Makers', LINK, false)).toBe(
      `Your request to join Kiez Makers is approved: your place is confirmed. The admins have not set up the group’s link yet; once they do, it is on your status page: ${LINK}`,
    )
    const de = whatsappReplies('de', (each) => chatKeywords(OPT_OUT, OPT_IN, each))
    expect(de.welcome('Kiez Makers', null, false)).toBe(
      'Danke, du hast bestätigt: Dein Platz bei Kiez Makers ist sicher. Den Link zur Gruppe haben die Admins noch nicht eingerichtet; sobald sie es tun, steht er auf deiner Statusseite.\n\nMit STOPP meldest du dich jederzeit ab.',
    )
    for (const lang of [...LANGUAGES, null]) {
      const replies = whatsappReplies(lang, (each) => chatKeywords(OPT_OUT, OPT_IN, each))
      for (const text of [
        replies.welcome('Kiez Makers', LINK, false),
        replies.approved('Kiez Makers', LINK, false),
      ]) {
        expect(text).not.toMatch(/group link|Gruppenlink/)
      }
    }
  })

  it('name the keywords that act: the language’s own word where it is configured, else the first', () => {
    expect(chatKeywords(OPT_OUT, OPT_IN, 'de')).toEqual({ stop: 'STOPP', start: 'START' })
    expect(chatKeywords(OPT_OUT, OPT_IN, 'en')).toEqual({ stop: 'STOP', start: 'START' })
    expect(chatKeywords(['abmelden', 'stop'], ['weiter', 'los'], 'de')).toEqual({
      stop: 'ABMELDEN',
      start: 'WEITER',
    })
    const replies = whatsappReplies('de', (each) => chatKeywords(['abmelden'], ['weiter'], each))
    expect(replies.stopped(false)).toContain('schick hier WEITER')
    expect(replies.started).toContain('Mit ABMELDEN meldest du dich ab')
  })
})
