import { integer, text } from 'drizzle-orm/sqlite-core'

/** What several table groups share: times as milliseconds, and consent per contact. */

/** How a member's consent was given: the proof an admin can show. */
export const CONSENT_METHODS = [
  'whatsapp_message',
  'whatsapp_button',
  'email_link',
  'single_opt_in',
  'admin',
  // Joined a Telegram chat from their own account: proves that account, for that chat.
  'telegram_join',
] as const

export type ConsentMethod = (typeof CONSENT_METHODS)[number]

export const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/** The kinds of contact a person gives, each proven on its own. */
export const CONTACT_KINDS = ['phone', 'email'] as const

export type ContactKind = (typeof CONTACT_KINDS)[number]

/**
 * One consent record per contact: when, how and with what proof its owner confirmed it. A proof
 * confirms only the contact it comes from (a WhatsApp message its number, an e-mailed link its
 * address); nothing is ever sent to a contact whose record is empty.
 */
export const contactConsentColumns = {
  phoneConfirmedAt: timestamp('phone_confirmed_at'),
  phoneConsentMethod: text('phone_consent_method', { enum: CONSENT_METHODS }),
  phoneConsentProof: text('phone_consent_proof'),
  emailConfirmedAt: timestamp('email_confirmed_at'),
  emailConsentMethod: text('email_consent_method', { enum: CONSENT_METHODS }),
  emailConsentProof: text('email_consent_proof'),
}
