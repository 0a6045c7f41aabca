import { desc, eq, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { joinRequests, type ConsentMethod, type JoinRequest } from '../db/schema'
import { signingSecret, type Config } from '../lib/config'
import type { Lang } from '../lib/i18n'
import { chatKeywords, whatsappReplies, type WhatsAppReplies } from '../lib/i18n/whatsapp-replies'
import { ApiError } from '../lib/errors'
import { statusPageLink } from '../lib/status-links'
import { chatInviteUrlOf, getJoinTarget } from './joining-target'

/**
 * What we write to a person on WhatsApp is in the language of the pages they signed up on, and
 * points them to their own status page where we may send its link.
 */

/**
 * The language a sign-up's messages are written in, or null where it is not known (a sign-up
 * from before the language was kept): those are written in German and English together
 * (`whatsappReplies`). Communities have no language of their own.
 */
export function signUpLanguage(request: Pick<JoinRequest, 'language'>): Lang | null {
  return request.language
}

/**
 * The language of what a number is answered as a whole (its STOP or START holds for every
 * sign-up of it; a code we do not know is nobody's): its newest sign-up's, one whose number was
 * proven before one that was only typed in; null (German and English) where that has none, or
 * the number has no sign-up.
 */
export async function numberLanguage(db: Database, phone: string): Promise<Lang | null> {
  const [newest] = await db
    .select({ language: joinRequests.language })
    .from(joinRequests)
    .where(eq(joinRequests.phone, phone))
    .orderBy(sql`${joinRequests.phoneConfirmedAt} is null`, desc(joinRequests.createdAt))
    .limit(1)
  return newest ? signUpLanguage(newest) : null
}

/**
 * The replies in `lang` (both languages where it is null), naming the chat commands as they are
 * configured to act.
 */
export function repliesIn(config: Config, lang: Lang | null): WhatsAppReplies {
  return whatsappReplies(lang, (each) =>
    chatKeywords(config.OPT_OUT_KEYWORDS, config.OPT_IN_KEYWORDS, each),
  )
}

/**
 * The link of the sign-up's status page for a message to its number, where the number's owner
 * proved they hold that page: by sending the code it shows from the number (`whatsapp_message`).
 * Where the proof was the template's button or an admin's record, the number's owner may not be
 * whoever typed it into the form and holds the page, so no link goes: the page would show its
 * holder the member's own links once the owner sent its code (services/consent.ts
 * `holderProven`). Null too where the link cannot be made again (lib/status-links.ts). Where
 * the language is not known, the link has no `?lang=`: the page is in the browser's.
 */
export function ownStatusLink(
  config: Config,
  request: Pick<JoinRequest, 'statusTokenHash' | 'statusTokenSealed'>,
  proof: ConsentMethod | null,
  lang: Lang | null,
): Promise<string | null> {
  if (proof !== 'whatsapp_message') return Promise.resolve(null)
  return statusPageLink(signingSecret(config), config.PUBLIC_BASE_URL, request, lang)
}

/**
 * Whether the sign-up's status page shows a way into its group: the chat link of its group (or
 * of the announcement group), set up and allowed, as the page shows it (pages/sign-up-links.ts
 * `chatLink`). Where there is none, the page says it is not set up yet, and a reply says the same.
 */
export async function chatLinkSetUp(
  db: Database,
  config: Config,
  request: Pick<JoinRequest, 'communityId' | 'groupId'>,
): Promise<boolean> {
  try {
    const target = await getJoinTarget(db, request.communityId, request.groupId)
    return chatInviteUrlOf(target, config.CHAT_INVITE_HOSTS) !== null
  } catch (error) {
    // The community is gone: there is no group to go on to.
    if (error instanceof ApiError) return false
    throw error
  }
}
