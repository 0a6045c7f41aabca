import {
  ANNOUNCEMENT_EDIT_WORDS,
  ANNOUNCEMENT_RECEIPT_WORDS,
  ANNOUNCEMENT_REPORT_WORDS,
  DASHBOARD_WORDS,
  MEMBER_OFFER_WORDS,
  MESSAGES,
  REWARD_WORDS,
  TEAM_WORDS,
  TRANSLATION_WORDS,
  UNCONFIRMED_WORDS,
  WAITING_FOR_ROOM_WORDS,
} from '../../src/lib/i18n'
import { TELEGRAM_DASHBOARD_WORDS } from '../../src/lib/i18n/telegram-messages'
import { MISSING_IN_WORDS, telegramWords } from '../../src/lib/i18n/dashboard-telegram'
import {
  ANNOUNCEMENT_STATUSES,
  DELIVERY_STATUSES,
  GROUP_KINDS,
  TELEGRAM_BOT_STATUSES,
  TOKEN_ROLES,
} from '../../src/db/schema'

/**
 * What "English left on a German page" means for the tests: any word of the English
 * dictionaries, or a raw value of the data (statuses, roles, kinds), that German does not use.
 */

/** Every string in a dictionary, its functions called with a sample argument. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value === 'function') return [String(value('7', '7', '7'))]
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}

/**
 * The words of a text, lower case. Letters run together with digits are no word: an id or the hex
 * suffix of a test's community name (`6add7975`) would otherwise read as "add", now and then.
 */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/(?<![0-9])[a-zäöüß_]{3,}(?![0-9])/g) ?? []
}

const german = new Set(
  [
    DASHBOARD_WORDS.de,
    MESSAGES.de,
    REWARD_WORDS.de,
    TEAM_WORDS.de,
    TRANSLATION_WORDS.de,
    UNCONFIRMED_WORDS.de,
    WAITING_FOR_ROOM_WORDS.de,
    ANNOUNCEMENT_EDIT_WORDS.de,
    ANNOUNCEMENT_REPORT_WORDS.de,
    ANNOUNCEMENT_RECEIPT_WORDS.de,
    MEMBER_OFFER_WORDS.de,
    TELEGRAM_DASHBOARD_WORDS.de,
    telegramWords('de'),
    MISSING_IN_WORDS.de,
  ]
    .flatMap(strings)
    .flatMap(wordsOf),
)

export const ENGLISH_ONLY = new Set(
  [
    ...[
      DASHBOARD_WORDS.en,
      MESSAGES.en,
      REWARD_WORDS.en,
      TEAM_WORDS.en,
      TRANSLATION_WORDS.en,
      UNCONFIRMED_WORDS.en,
      WAITING_FOR_ROOM_WORDS.en,
      ANNOUNCEMENT_EDIT_WORDS.en,
      ANNOUNCEMENT_REPORT_WORDS.en,
      ANNOUNCEMENT_RECEIPT_WORDS.en,
      MEMBER_OFFER_WORDS.en,
      TELEGRAM_DASHBOARD_WORDS.en,
      telegramWords('en'),
      MISSING_IN_WORDS.en,
    ].flatMap(strings),
    ...ANNOUNCEMENT_STATUSES,
    ...DELIVERY_STATUSES,
    ...GROUP_KINDS,
    ...TOKEN_ROLES,
    ...TELEGRAM_BOT_STATUSES,
    'bootstrap owner',
    'pending approved rejected active revoked expired used_up left removed',
  ]
    .flatMap(wordsOf)
    .filter((word) => !german.has(word)),
)

/** The English-only words in a German text, each once. */
export function englishLeftIn(text: string): string[] {
  return [...new Set(wordsOf(text).filter((word) => ENGLISH_ONLY.has(word)))]
}

/**
 * What a person reads on a page: its text and the attributes read aloud or shown, without
 * scripts, styles, code, the people's own words (`<bdi>`) and parts marked as another language.
 */
export function readableText(html: string): string {
  return html
    .replace(/<(script|style|code|bdi)\b[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<a\b[^>]*\blang="en"[^>]*>[\s\S]*?<\/a>/g, ' ')
    .replace(/https?:\/\/[^\s<"]+/g, ' ')
    .replace(/<[^>]*?\b(?:aria-label|alt|placeholder|title)="([^"]*)"[^>]*>/g, ' $1 ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ')
}
