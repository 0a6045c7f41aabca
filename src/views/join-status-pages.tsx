import type { Community, JoinRequest } from '../db/schema'
import { formatNumber, type Lang, type Messages, MEMBER_OFFER_WORDS, MESSAGES } from '../lib/i18n'
import type { MemberRewards } from '../services/rewards'
import { waitsForRoom } from '../services/consent'
import { formatMoment } from '../lib/time'
import { type ConfirmationView, ProofOffer } from './proof-steps'
import { ShareLinks } from './share-links'
import { Layout, type PageProps, WithUserText } from './layout'

// The pages a person comes back to after the join form (pages/join-status.tsx): their sign-up's
// status, the e-mailed confirmation link's, and leaving. The first two show a member's own links
// alike (`MemberLinksSection`), which is why they stay in one file.

export interface StatusPageProps extends PageProps {
  community: Community
  request: JoinRequest
  member: { status: string } | null
  chatInviteUrl: string | null
  referral: { url: string; qrSvgUrl: string } | null
  rewards: MemberRewards
  leaveUrl: string | null
  /** The bot's deep link with the member's referral code, where their group is on Telegram. */
  telegramStartUrl?: string | null
  /** The community's offer for members, shown with the member's own links. */
  memberOffer?: string | null
  /** A contact still to be proven: how the person does it. */
  confirmation?: ConfirmationView | null
  /**
   * The member's own links wait for that proof (a single opt-in, see pages/sign-up-links.ts):
   * it is offered where the links would be.
   */
  linksAwaitProof?: boolean
  /**
   * Where the member's links are while they wait for the holder's proof, besides what this page
   * offers: on the page the e-mailed link opens (it proved the address), through a new sign-up
   * (this page can no longer take the proof), or nowhere (nothing here carries one).
   */
  linksElsewhere?: 'email_page' | 'sign_up_again' | 'not_here' | null
  /** A request declined within the cooling-off period: when the person may ask again. */
  askAgainFrom?: Date | null
  /**
   * A membership an opt-out ended, where something brings it back: the word sent to the business
   * number, or allowing our marketing messages again in WhatsApp itself, and the link that opens
   * that chat (pages/sign-up-links.ts `resumeByChat`).
   */
  resume?: ResumeView | null
}

/**
 * How an ended membership comes back: `start`, the word (`keyword`) sent from the number to the
 * business number; `whatsapp`, allowing our marketing messages again in WhatsApp itself. The
 * link opens the chat with the business number (with the word typed in, for `start`).
 */
export interface ResumeView {
  way: 'start' | 'whatsapp'
  keyword: string
  whatsappUrl: string | null
}

/** Where a person follows their sign-up: pending, approved (with what to do next), or declined. */
export function StatusPage(props: StatusPageProps) {
  const t = MESSAGES[props.lang]
  const { request, member } = props
  const ended = member !== null && member.status !== 'active'
  const waiting = !ended && request.status === 'pending' && request.confirmedAt === null
  // A member confirmed by one contact may still prove the other one.
  const confirmation = !ended && request.status !== 'rejected' ? props.confirmation : null
  const title = ended
    ? t.endedTitle
    : waiting && confirmation
      ? t.confirmTitle
      : request.status === 'pending'
        ? t.pendingTitle
        : request.status === 'rejected'
          ? t.rejectedTitle
          : t.approvedTitle
  return (
    <Layout
      lang={props.lang}
      nonce={props.nonce}
      switchHref={props.switchHref}
      title={`${props.community.name}: ${title}`}
    >
      <div class="card">
        <p class="muted">
          <bdi>{props.community.name}</bdi>
        </p>
        <h1>{title}</h1>
        {ended && (
          <>
            <p>{t.endedText}</p>
            {props.resume && (
              <>
                <p>
                  {props.resume.way === 'start'
                    ? t.optedOutText(props.resume.keyword)
                    : t.stoppedInWhatsAppText}
                </p>
                {props.resume.whatsappUrl && (
                  <a class="cta" href={props.resume.whatsappUrl} rel="noopener noreferrer">
                    {props.resume.way === 'start'
                      ? t.resumeButton(props.resume.keyword)
                      : t.openOurChatButton}
                  </a>
                )}
              </>
            )}
            <p>{t.chatStaysText}</p>
          </>
        )}
        {confirmation && !props.linksAwaitProof && (
          <ProofOffer
            intro={
              !waiting
                ? t.confirmOtherText
                : (props.community.visibility === 'closed' ? t.confirmClosedText : t.confirmText)(
                    t.contactsGiven[
                      request.phone && request.email ? 'both' : request.phone ? 'phone' : 'email'
                    ],
                  )
            }
            t={t}
            lang={props.lang}
            community={props.community}
            confirmation={confirmation}
          />
        )}
        {!ended && !(waiting && confirmation) && request.status === 'pending' && (
          <p>{pendingText(t, props, confirmation)}</p>
        )}
        {!ended && request.status === 'rejected' && request.reason && (
          <p>
            <WithUserText sentence={t.rejectedReason} value={request.reason} />
          </p>
        )}
        {!ended && request.status === 'rejected' && props.askAgainFrom && (
          <p>
            {t.askAgainText(
              formatMoment(props.lang, props.askAgainFrom, props.community.timeZone, {
                zone: true,
              }),
            )}
          </p>
        )}
        {!ended && request.status === 'approved' && (
          <>
            {props.chatInviteUrl ? (
              <a class="cta" href={props.chatInviteUrl} rel="noopener noreferrer">
                {t.openChat}
              </a>
            ) : (
              <p>{t.noChatYet}</p>
            )}
            <MemberLinksSection
              t={t}
              lang={props.lang}
              communityName={props.community.name}
              nonce={props.nonce}
              referral={props.referral}
              rewards={props.rewards}
              telegramStartUrl={props.telegramStartUrl ?? null}
              leaveUrl={props.leaveUrl}
              memberOffer={props.memberOffer ?? null}
            />
          </>
        )}
        {!ended && request.status !== 'rejected' && props.linksAwaitProof && (
          <>
            <h2>{t.linksAwaitHeading}</h2>
            {confirmation && (
              <ProofOffer
                intro={t.proofForLinksText}
                t={t}
                lang={props.lang}
                community={props.community}
                confirmation={confirmation}
              />
            )}
            {props.linksElsewhere === 'email_page' && (
              <p>
                {request.status === 'approved'
                  ? t.linksOnEmailPageText
                  : t.linksOnEmailPageLaterText}
              </p>
            )}
            {props.linksElsewhere === 'sign_up_again' && <p>{t.proofOfferEndedText}</p>}
            {props.linksElsewhere === 'not_here' && <p>{t.linksNotHereText}</p>}
          </>
        )}
      </div>
    </Layout>
  )
}

/**
 * What a pending request's page says of the decision: that it shows it, unless it waits for the
 * holder's proof (`linksAwaitProof`), which shows it here or on the e-mailed link's page.
 */
function pendingText(
  t: Messages,
  props: StatusPageProps,
  confirmation: ConfirmationView | null | undefined,
): string {
  if (waitsForRoom(props.request, props.community)) return t.pendingFullText
  if (!props.linksAwaitProof) return t.pendingText
  if (props.linksElsewhere === 'email_page') return t.pendingEmailPageText
  return confirmation ? t.pendingProofText : t.pendingAdminText
}

/**
 * A member's own links: the community's offer for members, their referral link with its QR code
 * and ways to share it, how many joined through it and the reward it brings next, rewards earned,
 * the bot's deep link, leaving.
 */
function MemberLinksSection(
  props: MemberLinksView & { t: Messages; lang: Lang; communityName: string; nonce: string },
) {
  const { t, rewards } = props
  return (
    <>
      {props.memberOffer && (
        <>
          <h2>{MEMBER_OFFER_WORDS[props.lang].heading}</h2>
          <p class="offer">
            <bdi>{props.memberOffer}</bdi>
          </p>
        </>
      )}
      {props.referral && (
        <>
          <h2>{t.referralHeading}</h2>
          <p class="muted">{t.referralText}</p>
          <p class="code">
            <a href={props.referral.url}>{props.referral.url}</a>
          </p>
          <ShareLinks
            t={t}
            url={props.referral.url}
            communityName={props.communityName}
            nonce={props.nonce}
          />
          <img
            class="qr"
            src={props.referral.qrSvgUrl}
            alt={t.referralQrAlt}
            width="192"
            height="192"
          />
          {rewards.referred > 0 && (
            <p>{t.referredSoFar(formatNumber(props.lang, rewards.referred))}</p>
          )}
          {rewards.next && (
            <>
              <h2>{t.nextRewardHeading}</h2>
              <p>
                {'remaining' in rewards.next
                  ? t.nextRewardIn(formatNumber(props.lang, rewards.next.remaining))
                  : t.nextRewardOnceStayed(
                      formatNumber(props.lang, rewards.next.threshold),
                      formatNumber(props.lang, rewards.next.retentionDays),
                    )}
              </p>
              <p class="g">
                <bdi>{rewards.next.title}</bdi>
              </p>
            </>
          )}
        </>
      )}
      {rewards.earned.length > 0 && (
        <>
          <h2>{t.rewardsHeading}</h2>
          <ul>
            {rewards.earned.map((reward) => (
              <RewardItem {...reward} />
            ))}
          </ul>
        </>
      )}
      {props.telegramStartUrl && (
        <>
          <h2>{t.telegramStartHeading}</h2>
          <p class="muted">{t.telegramStartText}</p>
          <p>
            <a href={props.telegramStartUrl} rel="noopener noreferrer">
              {t.telegramStartLink}
            </a>
          </p>
        </>
      )}
      {props.leaveUrl && (
        <p class="small">
          <a href={props.leaveUrl}>{t.leaveLink}</a>
        </p>
      )}
    </>
  )
}

/**
 * Leaving: one button (a GET only shows it, so link previews cannot make anyone leave). It says
 * what leaving does here, and that the chat itself is left in the chat app: nothing here can take
 * anyone out of a WhatsApp group.
 */
export function LeavePage(props: PageProps & { communityName: string; action: string | null }) {
  const reasons = MESSAGES[props.lang].leaveReasons
  const t = MESSAGES[props.lang]
  return (
    <Layout
      lang={props.lang}
      nonce={props.nonce}
      switchHref={props.switchHref}
      title={props.action ? t.leaveTitle : t.leftTitle}
    >
      <div class="card">
        <p class="muted">
          <bdi>{props.communityName}</bdi>
        </p>
        <h1>{props.action ? t.leaveTitle : t.leftTitle}</h1>
        {props.action ? (
          <form method="post" action={props.action}>
            <p>{t.leaveText}</p>
            <p>{t.chatStaysText}</p>
            <fieldset>
              <legend>{t.leaveReasonLabel}</legend>
              {(Object.keys(reasons) as Array<keyof typeof reasons>).map((reason) => (
                <label class="check">
                  <input type="radio" name="reason" value={reason} />
                  <span>{reasons[reason]}</span>
                </label>
              ))}
            </fieldset>
            <button class="cta danger" type="submit">
              {t.leaveButton}
            </button>
          </form>
        ) : (
          <>
            <p>{t.endedText}</p>
            <p>{t.chatStaysText}</p>
          </>
        )}
      </div>
    </Layout>
  )
}

/**
 * What an e-mailed link's page says once it confirmed: in (with the chat, where anyone may join
 * it, and the member's own links when the link confirmed their own sign-up), waiting for the
 * admins, or declined by them (with their reason where the page may show it, and when the
 * person may ask again).
 */
export type AfterConfirmation =
  | { next: 'in'; chatUrl: string | null; links: MemberLinksView | null }
  /** `groupFull`: in an open community, its group filled up before the confirmation came. */
  | { next: 'waiting'; groupFull: boolean }
  /** The membership this sign-up made has ended since (left, removed, opted out). */
  | { next: 'ended' }
  | { next: 'declined'; reason: string | null; askAgainFrom: Date | null; timeZone: string }

/** A member's own links, as a page shows them. */
export interface MemberLinksView {
  referral: { url: string; qrSvgUrl: string } | null
  rewards: MemberRewards
  telegramStartUrl: string | null
  leaveUrl: string | null
  /** What the community offers its members, if anything. */
  memberOffer: string | null
}

/**
 * The page an e-mailed confirmation link opens: a button, since only its POST confirms (mail
 * scanners and link previews open links, and must not confirm anyone). Once confirmed it says
 * what comes next, so the person is not left on a thank-you with nowhere to go.
 */
export function ConfirmLinkPage(
  props: PageProps & {
    communityName: string
    action: string | null
    expired?: boolean
    after?: AfterConfirmation | null
    /** Opened again after it confirmed (a decision's e-mail leads here): where things stand. */
    revisited?: boolean
  },
) {
  const t = MESSAGES[props.lang]
  const after = props.action || props.expired ? null : props.after
  // A decision against the request is what the page says first, never a thank-you above it;
  // opened again later, the page leads with where things stand, not with the thanks.
  const title = props.action
    ? t.confirmLinkTitle
    : props.expired
      ? t.goneTitle
      : after?.next === 'declined'
        ? t.rejectedTitle
        : after?.next === 'ended'
          ? t.endedTitle
          : props.revisited && after?.next === 'in'
            ? t.approvedTitle
            : props.revisited && after?.next === 'waiting'
              ? t.pendingTitle
              : t.confirmedTitle
  return (
    <Layout lang={props.lang} nonce={props.nonce} switchHref={props.switchHref} title={title}>
      <div class="card">
        <p class="muted">
          <bdi>{props.communityName}</bdi>
        </p>
        <h1>{title}</h1>
        {props.action ? (
          <form method="post" action={props.action}>
            <p>{t.confirmLinkText}</p>
            <button class="cta" type="submit">
              {t.confirmLinkButton}
            </button>
          </form>
        ) : (
          props.expired && <p>{t.confirmExpiredText}</p>
        )}
        {after?.next === 'in' && (
          <>
            {after.chatUrl && (
              <a class="cta" href={after.chatUrl} rel="noopener noreferrer">
                {t.openChat}
              </a>
            )}
            {after.links ? (
              <>
                {/* Opened again, the title says the place is confirmed already. */}
                <p>{props.revisited ? t.keepEmailText : t.confirmedInLinksText}</p>
                <MemberLinksSection
                  t={t}
                  lang={props.lang}
                  communityName={props.communityName}
                  nonce={props.nonce}
                  {...after.links}
                />
              </>
            ) : (
              !props.revisited && <p>{t.confirmedInNoLinksText}</p>
            )}
          </>
        )}
        {after?.next === 'waiting' && (
          <p>{after.groupFull ? t.pendingFullText : t.confirmedWaitingText}</p>
        )}
        {after?.next === 'ended' && <p>{t.endedText}</p>}
        {after?.next === 'declined' && (
          <>
            <p>{t.confirmedDeclinedText}</p>
            {after.reason && (
              <p>
                <WithUserText sentence={t.rejectedReason} value={after.reason} />
              </p>
            )}
            {after.askAgainFrom && (
              <p>
                {t.askAgainText(
                  formatMoment(props.lang, after.askAgainFrom, after.timeZone, { zone: true }),
                )}
              </p>
            )}
          </>
        )}
      </div>
    </Layout>
  )
}

/** A reward as a member reads it: its title, what it is, and its code once earned. */
function RewardItem(props: { title: string; description: string; code: string | null }) {
  return (
    <li>
      <div class="g">
        <bdi>{props.title}</bdi>
      </div>
      {props.description && (
        <div class="muted">
          <bdi>{props.description}</bdi>
        </div>
      )}
      {props.code && <div class="code">{props.code}</div>}
    </li>
  )
}
