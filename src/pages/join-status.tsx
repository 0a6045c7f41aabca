import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env'
import { languageSwitchOf } from './language-switch'
import type { Community, JoinRequest, Member } from '../db/schema'
import { signingSecret } from '../lib/config'
import { ApiError } from '../lib/errors'
import { readForm } from '../lib/forms'
import { verifyToken } from '../lib/signing'
import { cspNonce } from '../middleware/security-headers'
import { sameOriginOnly } from '../middleware/same-origin'
import { getCommunityOrThrow } from '../services/communities'
import {
  canConfirm,
  confirmContact,
  contactUnconfirmed,
  isUnconfirmed,
  holderProven,
  linkProofId,
  requestFromConfirmLink,
  waitsForRoom,
} from '../services/consent'
import { findJoinRequestByStatusToken, getJoinRequestOrThrow } from '../services/join-requests'
import { endMembership } from '../services/leaving'
import { memberRewards, NO_REWARDS } from '../services/rewards'
import { hasSubscribedEndpoint } from '../services/webhooks'
import {
  type AfterConfirmation,
  ConfirmLinkPage,
  LeavePage,
  StatusPage,
  type StatusPageProps,
} from '../views/join-status-pages'
import type { ConfirmationView } from '../views/proof-steps'
import {
  asJustMade,
  asNewSignUp,
  chatLink,
  confirmationView,
  language,
  LEAVE_PURPOSE,
  linksAwaitProof,
  memberLinks,
  resumeByChat,
} from './sign-up-links'

/**
 * The pages a sign-up's owner comes back to through the links they were given: the status
 * page, the e-mailed confirmation link, and the leave link. Signing up itself is `join.tsx`.
 */
export const signUpStatusApp = new Hono<AppEnv>()

const STATUS_TOKEN = /^[A-Za-z0-9_-]{43}$/
/** The leave page's optional reason: anything else is taken as no answer. */
const LeaveFormReasonSchema = z.enum([
  'too_many_messages',
  'not_relevant',
  'joined_by_mistake',
  'other',
])

/** The status page a person keeps: the decision, and once in, the chat and their referral link. */
signUpStatusApp.get('/s/:token', async (c) => {
  const token = c.req.param('token')
  const request = STATUS_TOKEN.test(token)
    ? await findJoinRequestByStatusToken(c.var.db, token)
    : null
  if (!request) throw new ApiError('not_found', 'There is no sign-up behind this link.')
  c.header('cache-control', 'private, no-store')
  c.header('referrer-policy', 'no-referrer')
  if (request.repeatOf) return repeatStatusPage(c, request)
  return signUpPage(c, request, await getCommunityOrThrow(c.var.db, request.communityId), token)
})

/**
 * A sign-up in full: its decision, how to confirm what still waits for a proof (only for the
 * holder of its own status token), and with a membership the member's own links, unless they
 * wait for that proof (`linksAwaitProof`). `proven`: the holder proved the contact already (a
 * repeat sign-up's code sent from it), so the links are shown whatever this sign-up waits for.
 */
async function signUpPage(
  c: Context<AppEnv>,
  signUp: JoinRequest,
  community: Community,
  statusToken: string | null,
  proven = false,
) {
  const request = asNewSignUp(signUp, community) ?? signUp
  const member = request.memberId
    ? await c.var.db.query.members.findFirst({ where: (m, { eq }) => eq(m.id, request.memberId!) })
    : undefined
  const confirmation = statusToken
    ? await confirmationView(c, signUp, statusToken, language(c), { community })
    : undefined
  const awaitsProof = !proven && linksAwaitProof(request)
  // Only the holder's proof tells whose sign-up this is: until it comes, the page shows what
  // every sign-up's shows at once (see `asJustMade`; with a double opt-in, at once after its
  // proof), never the admins' decision, a closed community's chat or a membership ended since,
  // as long as the person can learn them elsewhere: by the proof this page still takes, or on
  // the page of the e-mailed link that proved the address. Where neither is possible (no channel,
  // or its time is up), the page is the only place a closed community's applicant learns the
  // decision and finds the chat.
  const masked = awaitsProof && (linkProvedAddress(signUp) || (await proofStillPossible(c, signUp)))
  const offer = awaitsProof ? linksOffer(confirmation) : null
  const shown = masked ? asJustMade(request, community) : request
  const links =
    member && !awaitsProof
      ? await memberLinks(c, request, member)
      : {
          chatInviteUrl:
            shown.status === 'approved' && (member || request !== signUp)
              ? await chatLink(c, request)
              : null,
          referral: null,
          leaveUrl: null,
          telegramStartUrl: null,
          memberOffer: null,
        }
  const rewards =
    member?.status === 'active' && !awaitsProof ? await memberRewards(c.var.db, member) : NO_REWARDS
  return c.html(
    <StatusPage
      lang={language(c)}
      nonce={cspNonce(c)}
      switchHref={languageSwitchOf(c, language(c))}
      community={community}
      request={shown}
      member={masked && member ? { status: 'active' } : (member ?? null)}
      chatInviteUrl={links.chatInviteUrl}
      referral={links.referral}
      rewards={rewards}
      leaveUrl={links.leaveUrl}
      telegramStartUrl={links.telegramStartUrl}
      memberOffer={links.memberOffer}
      // How a STOP is undone is the member's to read, as their own links are.
      resume={awaitsProof ? null : await resumeByChat(c, member, language(c))}
      // With a single opt-in a proof only ever shows the member's links: offered while they
      // wait for it, never as a step of the sign-up itself, nor for a second contact (whether
      // one is offered would tell which contacts a proof made a membership of its own).
      confirmation={awaitsProof ? offer : community.consent === 'single' ? null : confirmation}
      linksAwaitProof={awaitsProof}
      linksElsewhere={awaitsProof ? await whereLinksOpen(c, signUp, offer) : null}
      askAgainFrom={askAgainFrom(shown, c.var.config.REJECTION_COOLDOWN_DAYS)}
    />,
  )
}

/**
 * Whether a contact of the sign-up can still be proven here: its code, while it is taken, sent
 * to the business number; its e-mailed link, while it is taken, where a mail system receives the
 * confirmation requests.
 */
async function proofStillPossible(c: Context<AppEnv>, request: JoinRequest): Promise<boolean> {
  const now = new Date()
  if (c.var.config.WHATSAPP_BUSINESS_NUMBER && canConfirm(request, 'phone', now)) return true
  return (
    canConfirm(request, 'email', now) &&
    (await hasSubscribedEndpoint(c.var.db, 'member.confirmation_requested', request.communityId))
  )
}

/** Whether the e-mailed link proved the sign-up's address: its page shows the member's links. */
function linkProvedAddress(signUp: JoinRequest): boolean {
  return signUp.email !== null && signUp.emailConsentMethod === 'email_link'
}

/**
 * The proofs that open a member's links on their status page: its code sent to the business
 * number, or the e-mailed link (whose page shows them). A template's button or an admin's record
 * proves the contact but not who holds the page, so neither is offered for the links.
 */
function linksOffer(confirmation: ConfirmationView | null | undefined): ConfirmationView | null {
  if (!confirmation || !(confirmation.whatsappUrl || confirmation.emailSent)) return null
  return { ...confirmation, whatsappSent: false, phoneUnavailable: false, emailUnavailable: false }
}

/**
 * Where a member whose links wait for the holder's proof finds them, besides what this page
 * offers: on the e-mailed link's page where that link proved the address, else through a new
 * sign-up (`throughNewSignUp`). The same for a contact proven by a button or an admin as for one
 * never proven: the page does not tell its holder what the contact's owner did.
 */
async function whereLinksOpen(
  c: Context<AppEnv>,
  signUp: JoinRequest,
  offer: ConfirmationView | null,
): Promise<StatusPageProps['linksElsewhere']> {
  if (linkProvedAddress(signUp)) return 'email_page'
  return offer ? null : throughNewSignUp(c, signUp.communityId)
}

/**
 * Where this page can no longer take the proof: a new sign-up may, where anything configured
 * here carries one (its code to a business number, its link by a mail system); else nothing can.
 * Decided by the configuration alone, never by the sign-up's own contacts: a known contact's
 * sign-up keeps none once its time is up, and must read as a new one's.
 */
async function throughNewSignUp(
  c: Context<AppEnv>,
  communityId: string,
): Promise<'sign_up_again' | 'not_here'> {
  const carried =
    c.var.config.WHATSAPP_BUSINESS_NUMBER !== '' ||
    (await hasSubscribedEndpoint(c.var.db, 'member.confirmation_requested', communityId))
  return carried ? 'sign_up_again' : 'not_here'
}

/** When a declined request's contacts may ask again, while that is still to come. */
function askAgainFrom(request: JoinRequest, cooldownDays: number): Date | null {
  if (request.status !== 'rejected' || !request.decidedAt) return null
  const until = new Date(request.decidedAt.getTime() + cooldownDays * 86400_000)
  return until > new Date() ? until : null
}

/**
 * The status link of a repeat sign-up. Its holder is shown the earlier sign-up in full only when
 * the proof came from this very link: the code it shows, sent from the contact's own WhatsApp. A
 * button tap, an e-mailed link or an admin's record proves the contact, not who holds this link,
 * so then the page shows what a new sign-up's shows right after the same proof: in (an open
 * community, with its chat) or waiting for the admins (a closed one), the member's links waiting
 * for a proof of the holder. Never "a member already", nor the earlier sign-up's decision or
 * anything that changes with it later: whoever typed the contact would learn that it was known.
 */
async function repeatStatusPage(c: Context<AppEnv>, repeat: JoinRequest) {
  const earlier = await getJoinRequestOrThrow(c.var.db, repeat.repeatOf!)
  const community = await getCommunityOrThrow(c.var.db, earlier.communityId)
  if (repeat.consentMethod === 'whatsapp_message') {
    return signUpPage(c, earlier, community, null, true)
  }
  const shown = asJustMade(repeat, community)
  return c.html(
    <StatusPage
      lang={language(c)}
      nonce={cspNonce(c)}
      switchHref={languageSwitchOf(c, language(c))}
      community={community}
      request={shown}
      member={null}
      // The group this sign-up's link leads to, as a new sign-up's page shows it: not the one
      // the earlier sign-up joined, which would tell where the member is.
      chatInviteUrl={shown.status === 'approved' ? await chatLink(c, repeat) : null}
      referral={null}
      rewards={NO_REWARDS}
      leaveUrl={null}
      linksAwaitProof
      // The e-mailed link's page shows the earlier membership's links (see `signUpOfLink`); this
      // page's code is spent, so the number's owner gets them through a new sign-up's.
      linksElsewhere={
        repeat.consentMethod === 'email_link'
          ? 'email_page'
          : await throughNewSignUp(c, repeat.communityId)
      }
    />,
  )
}

async function requestFromConfirmToken(c: Context<AppEnv>): Promise<JoinRequest> {
  const request = await requestFromConfirmLink(
    c.var.db,
    signingSecret(c.var.config),
    c.req.param('token') ?? '',
  )
  if (!request) throw new ApiError('not_found', 'This confirmation link is not valid.')
  return request
}

/** An e-mailed confirmation link: a GET shows a button, so previews confirm no one. */
signUpStatusApp.get('/confirm/:token', async (c) => {
  const request = await requestFromConfirmToken(c)
  const community = await getCommunityOrThrow(c.var.db, request.communityId)
  const live = canConfirm(request, 'email', new Date())
  c.header('referrer-policy', 'no-referrer')
  c.header('cache-control', 'private, no-store')
  return c.html(
    <ConfirmLinkPage
      lang={language(c)}
      nonce={cspNonce(c)}
      switchHref={languageSwitchOf(c, language(c))}
      communityName={community.name}
      action={live ? `/confirm/${c.req.param('token')}?lang=${language(c)}` : null}
      expired={!live && linkExpired(request)}
      revisited
      after={
        live
          ? null
          : await afterConfirmation(c, ...(await signUpOfLink(c, request, community)), community)
      }
    />,
  )
})

signUpStatusApp.post('/confirm/:token', sameOriginOnly(), async (c) => {
  const request = await requestFromConfirmToken(c)
  const community = await getCommunityOrThrow(c.var.db, request.communityId)
  const now = new Date()
  // The link was e-mailed to the address: it proves the address, and nothing else.
  const result = canConfirm(request, 'email', now)
    ? await confirmContact(
        c.var.db,
        request,
        'email',
        { method: 'email_link', id: await linkProofId(c.req.param('token')) },
        now,
        c.var.config.REJECTION_COOLDOWN_DAYS,
      )
    : ({ outcome: linkExpired(request) ? 'expired' : 'already' } as const)
  // The page may show the member's own links: kept out of caches and referrers like the status page.
  c.header('referrer-policy', 'no-referrer')
  c.header('cache-control', 'private, no-store')
  return c.html(
    <ConfirmLinkPage
      lang={language(c)}
      nonce={cspNonce(c)}
      switchHref={languageSwitchOf(c, language(c), true)}
      communityName={community.name}
      action={null}
      expired={result.outcome === 'expired'}
      after={
        result.outcome === 'expired'
          ? null
          : result.outcome === 'repeat'
            ? // The earlier sign-up, whose address this link just proved.
              await afterConfirmation(c, result.request, true, community)
            : await afterConfirmation(
                c,
                ...(await signUpOfLink(
                  c,
                  'request' in result ? result.request : request,
                  community,
                )),
                community,
              )
      }
    />,
    result.outcome === 'expired' ? 410 : 200,
  )
})

/**
 * Whether a confirmation link that can no longer confirm came too late: its address still waits
 * for the proof, or its sign-up does (one erased when its time was up keeps no address).
 */
function linkExpired(request: JoinRequest): boolean {
  return contactUnconfirmed(request, 'email') || isUnconfirmed(request)
}

/**
 * The sign-up an e-mailed link stands for once used, and whether the link proved its address:
 * its own sign-up, or for a repeat sign-up that this link proved, the earlier one with the same
 * address (a repeat keeps no contact data of its own).
 */
async function signUpOfLink(
  c: Context<AppEnv>,
  request: JoinRequest,
  community: Community,
): Promise<[signUp: JoinRequest, addressProven: boolean]> {
  if (request.repeatOf === null) return [request, !contactUnconfirmed(request, 'email')]
  // Proven by the number (its button) or an admin: whoever holds this inbox may have typed the
  // number, so the link tells them only what any sign-up's says once confirmed.
  if (request.consentMethod !== 'email_link') return [asJustMade(request, community), false]
  return [await getJoinRequestOrThrow(c.var.db, request.repeatOf), true]
}

/**
 * What a confirmed sign-up's owner does next. The link was e-mailed to the address, so whoever
 * opens it holds that inbox: where it proved the sign-up's address (`addressProven`) and the
 * membership is active, the page shows the member's own links, which the status page keeps for
 * the holder of the code (see pages/sign-up-links.ts `linksAwaitProof`). Otherwise the chat is
 * shown only where anyone with the invite may join it (an open community), as the status page
 * of a repeat sign-up does. The status page of a sign-up whose address the link proved never
 * shows the admins' decision (its holder may be whoever typed the address), so this page does:
 * a declined request as declined, with the admins' reason where the member's links would be shown.
 */
async function afterConfirmation(
  c: Context<AppEnv>,
  request: JoinRequest,
  addressProven: boolean,
  community: Community,
): Promise<AfterConfirmation | null> {
  if (request.status === 'pending' && request.confirmedAt !== null) {
    return { next: 'waiting', groupFull: waitsForRoom(request, community) }
  }
  if (request.status === 'rejected' && addressProven) {
    return {
      next: 'declined',
      reason: request.email !== null && !holderProven(request) ? request.reason : null,
      askAgainFrom: askAgainFrom(request, c.var.config.REJECTION_COOLDOWN_DAYS),
      timeZone: community.timeZone,
    }
  }
  if (request.status !== 'approved') return null
  const member = request.memberId
    ? await c.var.db.query.members.findFirst({ where: (m, { eq }) => eq(m.id, request.memberId!) })
    : undefined
  // A membership that ended since: "you are in" would no longer be true; the page says so.
  if (member && member.status !== 'active') return { next: 'ended' }
  // Not where the status page's own code proved the number: whoever holds that page has the
  // links, and the address may be someone else's, typed next to that number.
  if (member && addressProven && request.email !== null && !holderProven(request)) {
    const { chatInviteUrl, ...links } = await memberLinks(c, request, member)
    return {
      next: 'in',
      chatUrl: chatInviteUrl,
      links: { ...links, rewards: await memberRewards(c.var.db, member) },
    }
  }
  const open = community.visibility === 'open'
  return { next: 'in', chatUrl: open ? await chatLink(c, request) : null, links: null }
}

async function memberFromLeaveToken(c: Context<AppEnv>): Promise<Member> {
  const memberId = await verifyToken(
    signingSecret(c.var.config),
    LEAVE_PURPOSE,
    c.req.param('token') ?? '',
  )
  const member = memberId
    ? await c.var.db.query.members.findFirst({ where: (m, { eq }) => eq(m.id, memberId) })
    : undefined
  if (!member) throw new ApiError('not_found', 'This leave link is not valid.')
  return member
}

/**
 * The leave page: its button while the membership lasts (`leaving`), the confirmation once it
 * ended.
 */
async function leavePage(c: Context<AppEnv>, member: Member, leaving: boolean) {
  const community = await getCommunityOrThrow(c.var.db, member.communityId)
  c.header('referrer-policy', 'no-referrer')
  return c.html(
    <LeavePage
      lang={language(c)}
      nonce={cspNonce(c)}
      switchHref={languageSwitchOf(c, language(c), true)}
      communityName={community.name}
      action={leaving ? `/leave/${c.req.param('token')}?lang=${language(c)}` : null}
    />,
  )
}

signUpStatusApp.get('/leave/:token', async (c) => {
  const member = await memberFromLeaveToken(c)
  return leavePage(c, member, member.status === 'active')
})

/**
 * Leaving is one tap on the confirmation page, and final for this membership. The tap must come
 * from that page: another site holding a member's link cannot end their membership.
 */
signUpStatusApp.post('/leave/:token', sameOriginOnly(), async (c) => {
  const member = await memberFromLeaveToken(c)
  const form = await readForm(c)
  const reason = LeaveFormReasonSchema.safeParse(form.reason)
  await endMembership(c.var.db, member, 'left', new Date(), reason.success ? reason.data : null)
  return leavePage(c, member, false)
})
