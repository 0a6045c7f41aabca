import { type Context } from 'hono'
import type { AppEnv } from '../env'
import { signingSecret, telegramConfig, telegramLinkForPeople } from '../lib/config'
import { MESSAGES, pickLanguage, type Lang } from '../lib/i18n'
import { signToken } from '../lib/signing'
import type { Community, JoinRequest, Member } from '../db/schema'
import { getCommunityOrThrow } from '../services/communities'
import { chatInviteUrlOf, getJoinTarget, type JoinTarget } from '../services/joining-target'
import { referralInviteOf } from '../services/members'
import { inviteUrls } from '../schemas/invites'
import { type ConfirmationView } from '../views/proof-steps'
import type { ResumeView } from '../views/join-status-pages'
import { confirmCodeFor, waMeLink } from '../lib/confirm-codes'
import { renderQrSvg } from '../lib/qr'
import { canConfirm, holderProven, isUnconfirmed, proofExpires } from '../services/consent'
import { canSendConfirmationTemplate } from '../platforms/whatsapp/replies'
import { hasSubscribedEndpoint } from '../services/webhooks'
import { base64 } from '../lib/crypto'
import { telegramStartPayload } from '../platforms/telegram/start-link'
import { chatKeywords } from '../lib/i18n/whatsapp-replies'
import { wayBack } from '../services/opt-outs'

/**
 * What a sign-up's owner is given, for the JSON answer and the status page alike: how to confirm
 * each contact still waiting for its proof, the chat to go on to, their referral and leave links.
 */

/** The page's language: `?lang=` first, then the browser's. */
export function language(c: Context<AppEnv>): Lang {
  return pickLanguage(c.req.header('accept-language'), c.req.query('lang'))
}

/** What a leave link signs: a member id, for leaving only. */
export const LEAVE_PURPOSE = 'leave'

/**
 * How the person confirms the contacts of their sign-up still waiting for a proof: the one-time
 * code for the phone number (derived from the status token they hold), the wa.me link that
 * carries it and its QR code, whether a link was e-mailed to the address, and which contact
 * nothing configured here can confirm. Null once every contact is confirmed, or when the
 * sign-up expired.
 */
export async function confirmationView(
  c: Context<AppEnv>,
  request: JoinRequest,
  statusToken: string,
  lang: Lang,
  /**
   * The request's community, and whether an endpoint e-mails its confirmation links, when the
   * caller read them already.
   */
  known?: { community: Community; confirmationMailer?: boolean; code?: string | null },
  /** Whether the view carries the wa.me link's QR code: a page shows it, a JSON answer not. */
  withQr = true,
): Promise<ConfirmationView | null> {
  const now = new Date()
  const phone = canConfirm(request, 'phone', now)
  const email = canConfirm(request, 'email', now)
  if (!phone && !email) return null
  const config = c.var.config
  const community = known?.community ?? (await getCommunityOrThrow(c.var.db, request.communityId))
  const code = phone
    ? (known?.code ?? (await confirmCodeFor(signingSecret(config), statusToken)))
    : null
  const whatsappUrl =
    code && config.WHATSAPP_BUSINESS_NUMBER
      ? waMeLink(
          config.WHATSAPP_BUSINESS_NUMBER,
          MESSAGES[lang].confirmPrefill(community.name, code),
          config.WHATSAPP_CHAT_LINK_BASE,
        )
      : null
  // The business's own confirmation message went out at sign-up (see the join), for a double
  // opt-in only: a single opt-in's proof is the member's to ask for, not a message to everyone.
  const whatsappSent =
    phone &&
    request.phoneConfirmedAt === null &&
    community.consent === 'double' &&
    canSendConfirmationTemplate(config)
  // The product sends no e-mail itself: the operator's mail system does, when it hears of it.
  const emailSent =
    email &&
    (known?.confirmationMailer ??
      (await hasSubscribedEndpoint(c.var.db, 'member.confirmation_requested', request.communityId)))
  const svg =
    whatsappUrl && withQr
      ? renderQrSvg(whatsappUrl, { size: 192, margin: 4, level: 'M', fg: '000000', bg: 'ffffff' })
      : null
  return {
    code,
    whatsappUrl,
    whatsappQr: svg ? `data:image/svg+xml;base64,${base64(new TextEncoder().encode(svg))}` : null,
    whatsappSent,
    emailSent,
    emailTo: email ? request.email : null,
    phoneUnavailable: phone && !whatsappUrl && !whatsappSent,
    emailUnavailable: email && !emailSent,
    // A sign-up confirmed by one contact no longer expires; its other contact may follow later.
    expiresAt: proofExpires(request) ? request.confirmExpiresAt : null,
  }
}

/**
 * Whether the member's own links (referral, leave, the bot's deep link) wait, on the status page,
 * for its holder to prove that the sign-up is theirs: the one-time code it shows, sent from the
 * number's own WhatsApp (`holderProven`). Whoever types a number or an address into the form holds
 * the status link, so no other proof opens it: an e-mailed link shows the member's links on the
 * page it opens (pages/join-status.tsx), and a template's button or an admin's record shows them
 * nowhere (after a button the page's code still can; after an admin's record a new sign-up's).
 * In a community that asks for no proof this also keeps the answer to a sign-up the same whether
 * its contact belongs to a member or not (a known contact's sign-up cannot be shown that
 * member's links, so a new one is not shown its own). Sign-ups from before proofs were offered
 * (no expiry) show the links, as do sign-ups not yet confirmed at all (they have none).
 */
export function linksAwaitProof(request: JoinRequest): boolean {
  return request.confirmExpiresAt !== null && request.confirmedAt !== null && !holderProven(request)
}

/**
 * A repeat sign-up of a known contact in a community that asks for no proof (see
 * services/joining.ts `repeatSignUp`), as long as no proof came: shown as a new sign-up there
 * would be (in, or waiting for the admins), so that its holder learns nothing of the member.
 */
export function asNewSignUp(request: JoinRequest, community: Community): JoinRequest | null {
  if (community.consent !== 'single' || !isUnconfirmed(request)) return null
  return {
    ...asJustMade(request, community),
    confirmedAt: request.createdAt,
    consentMethod: 'single_opt_in',
  }
}

/**
 * A sign-up in a community that asks for no proof, as its status page shows it while the
 * member's links wait for the proof: as any sign-up there stands the moment it is made (in, in
 * an open community; waiting for the admins, in a closed one). Never the admins' decision nor a
 * membership ended since: a known contact's sign-up (`asNewSignUp`) can show neither, so a new
 * one's would tell whoever typed the number that it was not a member's.
 */
export function asJustMade(request: JoinRequest, community: Community): JoinRequest {
  return {
    ...request,
    status: community.visibility === 'open' ? 'approved' : 'pending',
    reason: null,
    decidedAt: null,
  }
}

/**
 * The chat a sign-up's group (or the announcement group) leads to, if it is an allowed one.
 * `known`: the sign-up's target, when the join just read it.
 */
export async function chatLink(
  c: Context<AppEnv>,
  request: JoinRequest,
  known?: JoinTarget,
): Promise<string | null> {
  const target = known ?? (await getJoinTarget(c.var.db, request.communityId, request.groupId))
  return chatInviteUrlOf(target, c.var.config.CHAT_INVITE_HOSTS)
}

/**
 * What an approved member is given: the chat to go on to, their referral link, a leave link,
 * the community's offer for members, and where their group is a Telegram chat the bot's deep
 * link made for them (its `/start` lets the bot write to them one by one, see
 * platforms/telegram/commands.ts).
 * `known`: what a join that just made the membership read or wrote already (its target, the
 * member's referral code), so nothing is read twice.
 */
export async function memberLinks(
  c: Context<AppEnv>,
  request: JoinRequest,
  member: Member,
  known: { target?: JoinTarget; referralCode?: string } = {},
) {
  const config = c.var.config
  const referralCode =
    member.status === 'active'
      ? (known.referralCode ?? (await referralInviteOf(c.var.db, member.id))?.code)
      : undefined
  const target =
    known.target ?? (await getJoinTarget(c.var.db, request.communityId, request.groupId))
  const bot = telegramConfig(config)?.botUsername
  const onTelegram = (target.group ?? target.announcementGroup).telegramChatId !== null
  return {
    // Stored URLs are checked again: the allow-list may have changed since. Never an open redirect.
    chatInviteUrl: await chatLink(c, request, target),
    // Signed for this member: their referral code is public (they share it), this is not.
    telegramStartUrl:
      bot && onTelegram && member.status === 'active'
        ? telegramLinkForPeople(
            config,
            `https://t.me/${bot}?start=${await telegramStartPayload(signingSecret(config), member.id)}`,
          )
        : null,
    referral: referralCode ? inviteUrls(config.PUBLIC_BASE_URL, referralCode) : null,
    leaveUrl:
      member.status === 'active'
        ? `${config.PUBLIC_BASE_URL}/leave/${await signToken(signingSecret(config), LEAVE_PURPOSE, member.id)}`
        : null,
    // For members only: shown with their own links, never on a page anyone with the link opens.
    memberOffer: member.status === 'active' ? target.community.memberOffer : null,
  }
}

/**
 * How a membership an opt-out ended comes back, as the chat's answers say it, where something
 * does bring it back (services/opt-outs.ts `wayBack`, the rule the resubscription follows):
 * `start`, the word that resumes it (`OPT_IN_KEYWORDS`) sent from the number to the business
 * number, with a link that opens that chat with the word typed in; `whatsapp`, allowing our
 * marketing messages again in WhatsApp itself, where the person stopped them (a message to us
 * does not lift that), with a link that opens the chat. Null where nothing brings it back.
 */
export async function resumeByChat(
  c: Context<AppEnv>,
  member: Pick<Member, 'id' | 'status'> | undefined,
  lang: Lang,
): Promise<ResumeView | null> {
  if (member?.status !== 'left') return null
  const way = await wayBack(c.var.db, member.id, new Date())
  if (!way) return null
  const config = c.var.config
  const keyword = chatKeywords(config.OPT_OUT_KEYWORDS, config.OPT_IN_KEYWORDS, lang).start
  const number = config.WHATSAPP_BUSINESS_NUMBER
  const whatsappUrl = number
    ? waMeLink(number, way === 'start' ? keyword : null, config.WHATSAPP_CHAT_LINK_BASE)
    : null
  return { way, keyword, whatsappUrl }
}
