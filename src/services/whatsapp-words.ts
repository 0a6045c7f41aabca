import { desc, eq, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { joinRequests, type ConsentMethod, type JoinRequest } from '../db/schema'
import { signingSecret, type Config } from '../lib/config'
import type { Lang } from '../lib/i18n'
import { chatKeywords, whatsappReplies, type WhatsAppReplies } from '../lib/i18n/whatsapp-replies'
import { statusPageLink } from '../lib/status-links'

/**
 * What we write to a person on WhatsApp is in the language of the pages they signed up on, and
 * points them to their own status page where we may send its link.
 */

/**
 * The language a sign-up's messages are written in. Communities have no language of their own:
 * a sign-up from before the language was kept is written to in German, the first market.
 */
export function signUpLanguage(request: Pick<JoinRequest, 'language'>): Lang {
  return request.language ?? 'de'
}

/**
 * The language of what a number is answered as a whole (its STOP or START holds for every
 * sign-up of it; a code we do not know is nobody's): its newest sign-up's, one whose number was
 * proven before one that was only typed in, German where it has none.
 */
export async function numberLanguage(db: Database, phone: string): Promise<Lang> {
  const [newest] = await db
    .select({ language: joinRequests.language })
    .from(joinRequests)
    .where(eq(joinRequests.phone, phone))
    .orderBy(sql`${joinRequests.phoneConfirmedAt} is null`, desc(joinRequests.createdAt))
    .limit(1)
  return newest ? signUpLanguage(newest) : 'de'
}

/** The replies in `lang`, naming the chat commands as they are configured to act. */
export function repliesIn(config: Config, lang: Lang): WhatsAppReplies {
  return whatsappReplies(lang, chatKeywords(config.OPT_OUT_KEYWORDS, config.OPT_IN_KEYWORDS, lang))
}

/**
 * The link of the sign-up's status page for a message to its number, where the number's owner
 * proved they hold that page: by sending the code it shows from the number (`whatsapp_message`).
 * Where the proof was the template's button or an admin's record, the number's owner may not be
 * whoever typed it into the form and holds the page, so no link goes: the page would show its
 * holder the member's own links once the owner sent its code (services/consent.ts
 * `holderProven`). Null too where the link cannot be made again (lib/status-links.ts).
 */
export function ownStatusLink(
  config: Config,
  request: Pick<JoinRequest, 'statusTokenHash' | 'statusTokenSealed'>,
  proof: ConsentMethod | null,
  lang: Lang,
): Promise<string | null> {
  if (proof !== 'whatsapp_message') return Promise.resolve(null)
  return statusPageLink(signingSecret(config), config.PUBLIC_BASE_URL, request, lang)
}
