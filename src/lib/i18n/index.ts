import type { OutboundRefusal } from '../outbound'
import { dashboardDe, type Words } from './dashboard-de'
import { dashboardEn } from './dashboard-en'
import { de, type Messages } from './public-de'
import { en } from './public-en'
import { teamDe, type TeamWords } from './team-de'
import { teamEn } from './team-en'
import { rewardsDe, rewardsEn, type RewardWords } from './rewards'
import { unconfirmedDe, unconfirmedEn, type UnconfirmedWords } from './unconfirmed'
import { webhooksDe, webhooksEn, type WebhooksWords } from './webhooks'
import { translationsDe, translationsEn, type TranslationWords } from './translations'
import { memberOfferDe, memberOfferEn, type MemberOfferWords } from './member-offer'
import { linksBulkDe, linksBulkEn, type LinksBulkWords } from './links-bulk'
import { linkUsesDe, linkUsesEn, type LinkUsesWords } from './link-uses'
import { linkFallbackDe, linkFallbackEn, type LinkFallbackWords } from './link-fallback'
import { waitingForRoomDe, waitingForRoomEn, type WaitingForRoomWords } from './waiting-for-room'
import {
  announcementReportDe,
  announcementReportEn,
  type AnnouncementReportWords,
} from './announcement-report'
import {
  announcementReceiptsDe,
  announcementReceiptsEn,
  type AnnouncementReceiptWords,
} from './announcement-receipts'
import {
  announcementEditDe,
  announcementEditEn,
  type AnnouncementEditWords,
} from './announcement-edit'

export type { Messages, Words }

/**
 * German and English for the pages people see. German is the first market, so it is the
 * default when a browser states no preference; a browser that asks for neither gets English.
 */
export const LANGUAGES = ['de', 'en'] as const
export type Lang = (typeof LANGUAGES)[number]

export function pickLanguage(
  acceptLanguage: string | undefined,
  override: string | undefined,
): Lang {
  if (override === 'de' || override === 'en') return override
  if (!acceptLanguage?.trim()) return 'de'
  if (acceptLanguage.length > 200) return rankedLanguage(acceptLanguage)
  let lang = byAcceptLanguage.get(acceptLanguage)
  if (lang === undefined) {
    // Browsers send a handful of distinct headers; anything else that comes is kept bounded.
    if (byAcceptLanguage.size >= 500) byAcceptLanguage.clear()
    byAcceptLanguage.set(acceptLanguage, (lang = rankedLanguage(acceptLanguage)))
  }
  return lang
}

/** The language each `Accept-Language` header seen in this isolate asked for. */
const byAcceptLanguage = new Map<string, Lang>()

function rankedLanguage(acceptLanguage: string): Lang {
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return {
        lang: tag.trim().toLowerCase().split('-')[0],
        q: q ? Number(q.slice(2)) || 0 : 1,
        index,
      }
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  const match = ranked.find((entry) => entry.lang === 'de' || entry.lang === 'en')
  return (match?.lang as Lang | undefined) ?? 'en'
}

/** Each language's words for the pages people see (public-de.ts, public-en.ts). */
export const MESSAGES: Record<Lang, Messages> = { de, en }

/** The locale each language writes dates and numbers in (British English: day before month). */
export const LOCALES: Record<Lang, string> = { de: 'de-DE', en: 'en-GB' }

/** The language a page's switch offers. */
export function otherLanguage(lang: Lang): Lang {
  return lang === 'de' ? 'en' : 'de'
}

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(LOCALES[lang]).format(n)
}

/**
 * Why a link no longer lets people in, in words for the person holding it. With the `invite`,
 * a member's personal (referral) link that is revoked says so: its membership ending revokes
 * it, and nobody may read that the admins withdrew it when the member left.
 */
export function inviteGoneText(
  t: Messages,
  status: 'revoked' | 'archived' | 'expired' | 'used_up',
  invite?: { referrerMemberId: string | null },
): string {
  if (status === 'revoked' && invite?.referrerMemberId) return t.referralGoneText
  // An archived link may come back, but for the person holding it now it is withdrawn.
  const texts = { revoked: t.revokedText, archived: t.revokedText }
  return { ...texts, expired: t.expiredText, used_up: t.usedUpText }[status]
}

/** The dashboard's words, per language (dashboard-de.ts, dashboard-en.ts). */
export const DASHBOARD_WORDS: Record<Lang, Words> = { de: dashboardDe, en: dashboardEn }

/** The team and audit-log pages' words. */
export const TEAM_WORDS: Record<Lang, TeamWords> = { de: teamDe, en: teamEn }
export const REWARD_WORDS: Record<Lang, RewardWords> = { de: rewardsDe, en: rewardsEn }
/** The announcement form's texts in other languages. */
export const TRANSLATION_WORDS: Record<Lang, TranslationWords> = {
  de: translationsDe,
  en: translationsEn,
}
/** A community's offer for its members: its field, and its heading on the members' pages. */
export const MEMBER_OFFER_WORDS: Record<Lang, MemberOfferWords> = {
  de: memberOfferDe,
  en: memberOfferEn,
}
/** Changing a scheduled announcement, and a repeat rule's last day. */
export const ANNOUNCEMENT_EDIT_WORDS: Record<Lang, AnnouncementEditWords> = {
  de: announcementEditDe,
  en: announcementEditEn,
}
/** The approvals page's sign-ups waiting for their owner to confirm. */
export const UNCONFIRMED_WORDS: Record<Lang, UnconfirmedWords> = {
  de: unconfirmedDe,
  en: unconfirmedEn,
}
/** The per-recipient report's filter, by how far each message got. */
export const ANNOUNCEMENT_REPORT_WORDS: Record<Lang, AnnouncementReportWords> = {
  de: announcementReportDe,
  en: announcementReportEn,
}
/** When each recipient's message got how far, and what the list's shares are shares of. */
export const ANNOUNCEMENT_RECEIPT_WORDS: Record<Lang, AnnouncementReceiptWords> = {
  de: announcementReceiptsDe,
  en: announcementReceiptsEn,
}
/** A link's uses, and those held by sign-ups waiting for their confirmation. */
export const LINK_USES_WORDS: Record<Lang, LinkUsesWords> = { de: linkUsesDe, en: linkUsesEn }
/** The approvals pages on requests a full group keeps out, and the groups a decision found full. */
export const WAITING_FOR_ROOM_WORDS: Record<Lang, WaitingForRoomWords> = {
  de: waitingForRoomDe,
  en: waitingForRoomEn,
}
/** Several links made at once, and the page listing them. */
export const LINKS_BULK_WORDS: Record<Lang, LinksBulkWords> = { de: linksBulkDe, en: linksBulkEn }
/** Where an ended link's page leads on, in its edit form. */
export const LINK_FALLBACK_WORDS: Record<Lang, LinkFallbackWords> = {
  de: linkFallbackDe,
  en: linkFallbackEn,
}
/** The webhooks page: unsubscribing an endpoint, and when a delivery was tried. */
export const WEBHOOKS_WORDS: Record<Lang, WebhooksWords> = { de: webhooksDe, en: webhooksEn }

/** The dashboard's answer to a webhook URL the Worker may not send to, with the reason. */
const ENDPOINT_REFUSED: Record<Lang, { intro: string; reasons: Record<OutboundRefusal, string> }> =
  {
    en: {
      intro: 'This address cannot receive webhooks, so no endpoint was added:',
      reasons: {
        'not a URL': 'not a URL',
        'must be https': 'must be https',
        'must not contain a user name or password': 'must not contain a user name or password',
        'cloud metadata host': 'a cloud metadata host',
        'local host name': 'a local host name',
        'single-label host': 'a host name without a domain',
        'loopback address': 'a loopback address',
        'private address': 'a private address',
        'link-local address': 'a link-local address',
        'shared address (CGNAT)': 'a shared address (CGNAT)',
        'unspecified address': 'an unspecified address',
        'multicast address': 'a multicast address',
        'broadcast address': 'a broadcast address',
        'reserved address': 'a reserved address',
      },
    },
    de: {
      intro: 'An diese Adresse können keine Webhooks gehen, kein Endpunkt wurde angelegt:',
      reasons: {
        'not a URL': 'keine URL',
        'must be https': 'nur https ist erlaubt',
        'must not contain a user name or password':
          'Benutzername und Passwort gehören nicht in die URL',
        'cloud metadata host': 'ein Metadaten-Dienst einer Cloud',
        'local host name': 'ein lokaler Hostname',
        'single-label host': 'ein Hostname ohne Domain',
        'loopback address': 'eine Loopback-Adresse',
        'private address': 'eine private Adresse',
        'link-local address': 'eine link-lokale Adresse',
        'shared address (CGNAT)': 'eine geteilte Adresse (CGNAT)',
        'unspecified address': 'eine unspezifizierte Adresse',
        'multicast address': 'eine Multicast-Adresse',
        'broadcast address': 'eine Broadcast-Adresse',
        'reserved address': 'eine reservierte Adresse',
      },
    },
  }

/** A refusal of an address, in `lang`'s words (`a private address`). */
export function outboundRefusalText(lang: Lang, reason: OutboundRefusal): string {
  return ENDPOINT_REFUSED[lang].reasons[reason]
}

/** Why a webhook endpoint was not added, as one sentence in `lang`. */
export function endpointRefusedText(lang: Lang, reason: OutboundRefusal): string {
  const words = ENDPOINT_REFUSED[lang]
  return `${words.intro} ${words.reasons[reason]}.`
}
