import { and, desc, eq, inArray, lt } from 'drizzle-orm'
import { toPage } from '../lib/pagination'
import type { Database } from '../db/client'
import { communities, inboundMessages, inboundNotifications, members } from '../db/schema'
import { signingSecret } from '../lib/config'
import { keyedHash } from '../lib/signing'
import { findConfirmCodes } from '../lib/confirm-codes'
import { newId } from '../lib/ids'
import { foldKeyword } from '../lib/keywords'
import { cleanText } from '../lib/text'
import { numberOfWhatsAppId } from '../lib/contact'
import type { InboundItem } from '../platforms/whatsapp/schemas'
import { confirmContact, findRequestByCode } from './consent'
import { sendWhatsAppReply } from '../platforms/whatsapp/replies'
import {
  applyStatus,
  deliveriesOfStatuses,
  type DeliveryLookup,
  type InboundDeps,
} from './whatsapp-statuses'
import {
  applyOptChoice,
  CHAT_BUTTON,
  CHAT_KEYWORD,
  heldInWhatsApp,
  IN_WHATSAPP,
  membersSpeakingThrough,
  membersWithProvenPhone,
  pruneOptIns,
  stopsOf,
  type OptChannel,
  type OptChoice,
} from './opt-outs'
import {
  chatLinkSetUp,
  numberLanguage,
  ownStatusLink,
  repliesIn,
  signUpLanguage,
} from './whatsapp-words'

/** Meta's marketing opt-out quick reply, as its button text arrives (folded like any message). */
const MARKETING_OPT_OUT_BUTTONS = new Set(['Stop promotions', 'Werbung stoppen'].map(foldKeyword))

/** Applies one notification item. Every kind is safe to apply twice (Meta re-delivers). */
export async function applyInboundItem(
  db: Database,
  deps: InboundDeps,
  item: InboundItem,
  now: Date,
  /** Deliveries read ahead for the batch this item came in; read for the item alone if none. */
  lookup?: DeliveryLookup,
): Promise<string> {
  if (item.kind === 'status')
    return applyStatus(db, deps, item, now, lookup ?? (await deliveriesOfStatuses(db, [item])))
  if (item.kind === 'preference') return applyPreference(db, item, now)
  return applyMessage(db, deps, item, now)
}

/**
 * The person stopped or resumed marketing messages in WhatsApp itself. It acts in the order of
 * Meta's timestamps among the number's choices, each once (`recordOptChoice`): a late "resume"
 * never undoes a newer STOP, and a copy of one that acted does nothing. A stop made there holds
 * until a resume made there (a START in the chat does not lift it).
 */
async function applyPreference(
  db: Database,
  item: Extract<InboundItem, { kind: 'preference' }>,
  now: Date,
): Promise<string> {
  const phone = numberOfWhatsAppId(item.waId)
  const at = new Date(item.timestamp * 1000)
  const { state, changed } = await applyOptChoice(db, phone, item.value, at, IN_WHATSAPP, now)
  if (state !== 'act') return state
  if (!changed) return 'ignored'
  return item.value === 'stop' ? 'unsubscribed' : 'resubscribed'
}

/**
 * A STOP (a keyword, or the opt-out button of our templates) or START sent in the chat, ordered
 * with the number's other choices by Meta's time of the message, as a preference is. A STOP is
 * answered unless a newer START stands, with the way back: START, or where the number also
 * stopped our marketing messages in WhatsApp itself, allowing them there. A START is answered
 * unless a newer STOP stands, with what it did: brought the number's messages back (it lifted a
 * standing STOP, or brought memberships back; a STOP also holds for memberships made after it,
 * see services/opt-outs.ts), nothing (a stop made in WhatsApp itself holds; it lifted a STOP but
 * no membership of the number is left to come back; nothing was stopped). The answer is in the
 * language of the number's newest sign-up, and names the words that act.
 */
async function applyChatChoice(
  db: Database,
  config: InboundDeps['config'],
  item: Extract<InboundItem, { kind: 'message' }>,
  value: OptChoice,
  channel: OptChannel,
  now: Date,
): Promise<string> {
  const phone = numberOfWhatsAppId(item.from)
  const at = sentAtOf(item, now)
  const stoppedBefore = value === 'resume' && (await stopsOf(db, [phone])).has(phone)
  const { state, changed } = await applyOptChoice(db, phone, value, at, channel, now)
  if (state === 'stale') return 'stale'
  const replies = repliesIn(config, await numberLanguage(db, phone))
  if (value === 'stop') {
    await sendWhatsAppReply(config, item.from, replies.stopped(await heldInWhatsApp(db, phone)))
    return 'unsubscribed'
  }
  if (state === 'held') {
    await sendWhatsAppReply(config, item.from, replies.startHeld)
    return 'held'
  }
  const lifted = state === 'act' && stoppedBefore
  if (changed > 0 || lifted) {
    const reached = changed > 0 || (await membersWithProvenPhone(db, phone)).length > 0
    await sendWhatsAppReply(
      config,
      item.from,
      reached ? replies.started : replies.startedNoMembership,
    )
    return 'resubscribed'
  }
  await sendWhatsAppReply(config, item.from, replies.notStopped)
  return 'ignored'
}

/**
 * A message someone sent to the business number: an opt-out or opt-in keyword, a confirmation
 * code, or anything else (kept for the admins of the communities the sender is a member of, by
 * a proof of the number, see `membersSpeakingThrough`).
 */
async function applyMessage(
  db: Database,
  deps: InboundDeps,
  item: Extract<InboundItem, { kind: 'message' }>,
  now: Date,
): Promise<string> {
  // Meta's message id holds the sender's number: the key is a keyed hash of it. Keys stored
  // plain before that are looked up too, until they are pruned.
  const key = `msg:${await keyedHash(signingSecret(deps.config), 'wamid', item.wamid)}`
  const handled = await db.query.inboundNotifications.findFirst({
    where: inArray(inboundNotifications.key, [key, `msg:${item.wamid}`]),
  })
  if (handled) return 'replayed'
  const phone = numberOfWhatsAppId(item.from)
  const folded = foldKeyword(item.text)
  const config = deps.config
  let outcome: string
  if (item.type === 'button' && MARKETING_OPT_OUT_BUTTONS.has(folded)) {
    outcome = await applyChatChoice(db, config, item, 'stop', CHAT_BUTTON, now)
  } else if (config.OPT_OUT_KEYWORDS.includes(folded)) {
    outcome = await applyChatChoice(db, config, item, 'stop', CHAT_KEYWORD, now)
  } else if (config.OPT_IN_KEYWORDS.includes(folded)) {
    outcome = await applyChatChoice(db, config, item, 'resume', CHAT_KEYWORD, now)
  } else if (findConfirmCodes(item.text).length > 0) {
    outcome = await confirmByCode(db, deps, item, findConfirmCodes(item.text), now)
  } else {
    outcome = await keepForAdmins(db, phone, item, now)
  }
  await db.insert(inboundNotifications).values({ key, receivedAt: now }).onConflictDoNothing()
  return outcome
}

/** When the person sent a message, as Meta stamps it (to the second); if Meta did not, now. */
function sentAtOf(item: Extract<InboundItem, { kind: 'message' }>, now: Date): Date {
  return new Date((item.timestamp ?? Math.floor(now.getTime() / 1000)) * 1000)
}

/**
 * The sender's own WhatsApp account sent the code: their number is proven, if it is the number
 * they signed up with, and only that number (an e-mail address given with it waits for its own
 * link). The reply goes out in the window their message opened, in the language they signed up
 * in, with the link to the status page whose code they sent (never for a button's tap, see
 * `ownStatusLink`).
 */
async function confirmByCode(
  db: Database,
  deps: InboundDeps,
  item: Extract<InboundItem, { kind: 'message' }>,
  codes: string[],
  now: Date,
): Promise<string> {
  // A code sent before the number's standing STOP, delivered after it (Meta delivers late and
  // more than once), is outdone by it: the STOP was the number's last word. It proves nothing and
  // is not answered; the code sent again, after the STOP, proves its sign-up.
  const phone = numberOfWhatsAppId(item.from)
  const stop = (await stopsOf(db, [phone])).get(phone)
  if (stop && sentAtOf(item, now).getTime() <= stop.getTime()) return 'stale'
  const secret = signingSecret(deps.config)
  const method = item.type === 'button' ? 'whatsapp_button' : 'whatsapp_message'
  const request = await findRequestByCode(db, secret, codes, phone, now, method)
  if (!request) {
    const replies = repliesIn(deps.config, await numberLanguage(db, phone))
    await sendWhatsAppReply(deps.config, item.from, replies.codeUnknown)
    return 'code_refused'
  }
  const result = await confirmContact(
    db,
    request,
    'phone',
    { method, id: item.wamid, at: sentAtOf(item, now) },
    now,
    deps.config.REJECTION_COOLDOWN_DAYS,
  )
  if (result.outcome !== 'confirmed' && result.outcome !== 'repeat') return result.outcome
  const community = await db.query.communities.findFirst({
    where: eq(communities.id, request.communityId),
  })
  // In a closed community a confirmed request still waits for an admin: no welcome yet. A
  // proof that showed a request declined a short while ago welcomes nobody either: the status
  // page says so, to the one holding it. The page is the one whose code came, which shows an
  // earlier sign-up it repeats.
  const lang = signUpLanguage(request)
  const replies = repliesIn(deps.config, lang)
  const reply =
    result.outcome === 'confirmed' && result.groupFull
      ? replies.confirmedGroupFull
      : {
          pending: replies.confirmedWaiting,
          rejected: replies.confirmedSeeStatus,
          approved: replies.welcome,
        }[result.request.status]
  const statusLink = await ownStatusLink(deps.config, request, method, lang)
  // A place confirmed goes on into the group through the chat link the shown sign-up's page
  // has, where it has one.
  const chatSetUp =
    result.request.status === 'approved' && (await chatLinkSetUp(db, deps.config, result.request))
  await sendWhatsAppReply(
    deps.config,
    item.from,
    reply(community?.name ?? '', statusLink, chatSetUp),
  )
  return result.outcome
}

async function keepForAdmins(
  db: Database,
  phone: string,
  item: Extract<InboundItem, { kind: 'message' }>,
  now: Date,
): Promise<string> {
  const text = cleanText(item.text, { multiline: true }).trim().slice(0, 2000)
  if (!text) return 'ignored'
  // Not for a membership someone else typed the number into: its admins would read the owner.
  const senders = await membersSpeakingThrough(db, phone)
  if (senders.length === 0) return 'ignored'
  // Six bound values a row: 15 rows a statement stay under D1's 100.
  for (let i = 0; i < senders.length; i += 15) {
    await db
      .insert(inboundMessages)
      .values(
        senders.slice(i, i + 15).map((member) => ({
          id: newId('msg', now.getTime()),
          communityId: member.communityId,
          memberId: member.id,
          providerMessageId: item.wamid,
          text,
          receivedAt: now,
        })),
      )
      .onConflictDoNothing()
  }
  return 'stored'
}

/**
 * Forgets handled notification keys after a week (Meta re-delivers within days, not weeks), and
 * numbers' opt-ins once no older choice can arrive (`pruneOptIns`).
 */
export async function pruneInboundNotifications(db: Database, now: Date): Promise<void> {
  await db
    .delete(inboundNotifications)
    .where(lt(inboundNotifications.receivedAt, new Date(now.getTime() - 7 * 86400_000)))
  await pruneOptIns(db, now)
}

/** Messages members sent that were no command, newest first, with who sent them. */
export async function listInboundMessages(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
) {
  const rows = await db
    .select({
      id: inboundMessages.id,
      memberId: inboundMessages.memberId,
      memberName: members.name,
      text: inboundMessages.text,
      receivedAt: inboundMessages.receivedAt,
    })
    .from(inboundMessages)
    .leftJoin(members, eq(members.id, inboundMessages.memberId))
    .where(
      and(
        eq(inboundMessages.communityId, communityId),
        options.cursor ? lt(inboundMessages.id, options.cursor) : undefined,
      ),
    )
    .orderBy(desc(inboundMessages.id))
    .limit(options.limit + 1)
  return toPage(rows, options.limit)
}
