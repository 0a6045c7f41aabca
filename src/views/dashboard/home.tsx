import { formatNumber, LOCALES, type Lang } from '../../lib/i18n'
import { VerifiedMark } from '../telegram-seen'
import { telegramWords } from '../../lib/i18n/dashboard-telegram'
import { totalJoins, type HomeJoins } from '../../services/home-figures'
import { Csrf, Shell, words } from './shell'
import type { FormState } from '../form-fields'
import { CommunityFields } from './community-fields'
import { RefusedSummary } from './refused-summary'
import { WhatsAppInferredNote } from '../whatsapp-inferred'

/** The sign-in page: a token, once, to start a session. */
export function SignInPage(props: {
  lang: Lang
  nonce: string
  failed: boolean
  /** After signing out: of this browser, or of every session of the token. */
  signedOut?: 'here' | 'everywhere'
  /** Too many sign-ins from this network: when to try again. */
  retryInMinutes?: number
  action: string
}) {
  const t = words(props.lang)
  const notice =
    props.signedOut === 'here'
      ? t.signedOutNotice
      : props.signedOut === 'everywhere'
        ? t.signedOutEverywhereNotice
        : undefined
  return (
    <Shell lang={props.lang} nonce={props.nonce} title={t.signIn} notice={notice}>
      <section class="narrow">
        <h1>{t.signIn}</h1>
        <p class="muted">{t.signInHint}</p>
        {props.failed && (
          <p class="err" role="alert">
            {t.wrongToken}
          </p>
        )}
        {props.retryInMinutes !== undefined && (
          <p class="err" role="alert">
            {t.tooManySignIns(props.retryInMinutes)}
          </p>
        )}
        <form method="post" action={props.action}>
          <label for="token">{t.token}</label>
          <input
            id="token"
            name="token"
            type="password"
            required
            autocomplete="current-password"
            class="wide"
          />
          <p>
            <button type="submit">{t.signIn}</button>
          </p>
        </form>
      </section>
    </Shell>
  )
}

/** What the home page shows, read and decided by its handler. */
export interface HomeView {
  lang: Lang
  communities: Array<{ id: string; name: string; visibility: string; timeZone: string }>
  /** Pending requests by community, for the communities whose requests this admin decides. */
  pending: Map<string, number>
  /** Where the pending requests' figure leads. */
  approvalsHref: string
  /**
   * Joins this week by community, for those whose figures this admin reads: Telegram's verified
   * ones for links into Telegram chats, our form's for the others.
   */
  joins: Map<string, HomeJoins>
  mayReadStats: Set<string>
  /** The communities with a group on WhatsApp, whose joins are what our own forms saw. */
  onWhatsApp: Set<string>
  /** The next scheduled announcement by community, for those whose announcements this admin reads. */
  next: Map<string, { sendAt: Date }>
  /** The form for a new community, when this admin may create one (as sent, after a refusal). */
  create: { action: string; csrf: string; form: FormState | undefined } | null
}

/** The home page: every community this admin manages with its key figures, and a new one. */
export function HomePage(props: HomeView) {
  const l = props.lang
  const t = words(l)
  const tg = telegramWords(l)
  const { pending, joins, next } = props
  const soonest = [...next.entries()].sort(
    ([, a], [, b]) => a.sendAt.getTime() - b.sendAt.getTime(),
  )[0]
  const nameOf = new Map(props.communities.map((community) => [community.id, community.name]))
  // On the clock of the announcement's community, its zone named: communities may differ.
  const zoneOf = new Map(props.communities.map((community) => [community.id, community.timeZone]))
  const when = (communityId: string, at: Date) =>
    new Intl.DateTimeFormat(LOCALES[l], {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: zoneOf.get(communityId) ?? 'UTC',
      timeZoneName: 'short',
    }).format(at)
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0)
  // Marked as each community's figure is: the total mixes Telegram's joins with our forms'.
  const total = totalJoins(joins.values())
  return (
    <section>
      <h1>{t.communities}</h1>
      <RefusedSummary lang={l} forms={[{ form: props.create?.form }]} />
      {props.communities.length === 0 ? (
        <p class="muted">{t.noCommunities}</p>
      ) : (
        <div class="grid key-figures">
          <a class="stat" href={pending.size > 0 ? props.approvalsHref : '#communities'}>
            <span class="muted">{t.pendingRequests}</span>
            <b>{formatNumber(l, sum(pending.values()))}</b>
          </a>
          <div class="stat">
            <span class="muted">{t.joinsThisWeek}</span>
            <b>{formatNumber(l, total.joins)}</b>
            <JoinsMark lang={l} joins={total} />
          </div>
          <div class="stat">
            <span class="muted">{t.nextAnnouncement}</span>
            {soonest ? (
              <>
                <b>{when(soonest[0], soonest[1].sendAt)}</b>
                <a href={`/admin/communities/${soonest[0]}/announcements`}>
                  <bdi>{nameOf.get(soonest[0])}</bdi>
                </a>
              </>
            ) : (
              <b>–</b>
            )}
          </div>
        </div>
      )}
      <table class="cards spaced" id="communities">
        <thead>
          <tr>
            <th>{t.communities}</th>
            <th>{t.status}</th>
            <th class="n">{t.approvals}</th>
            <th class="n">{t.joinsThisWeek}</th>
            <th>{t.nextAnnouncement}</th>
          </tr>
        </thead>
        <tbody>
          {props.communities.map((community) => (
            <tr>
              <td data-label={t.community}>
                <a href={`/admin/communities/${community.id}`}>
                  <bdi>{community.name}</bdi>
                </a>
              </td>
              <td data-label={t.status}>{community.visibility === 'open' ? t.open : t.closed}</td>
              <td class="n" data-label={t.approvals}>
                {(pending.get(community.id) ?? 0) > 0 ? (
                  <a href={`/admin/communities/${community.id}/approvals`}>
                    {formatNumber(l, pending.get(community.id)!)} {t.pending}
                  </a>
                ) : (
                  '–'
                )}
              </td>
              <td class="n" data-label={t.joinsThisWeek}>
                {joins.has(community.id) || props.mayReadStats.has(community.id) ? (
                  <JoinsCell lang={l} joins={joins.get(community.id)} />
                ) : (
                  '–'
                )}
              </td>
              <td data-label={t.nextAnnouncement}>
                {next.has(community.id) ? when(community.id, next.get(community.id)!.sendAt) : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.communities.some(
        (community) =>
          props.onWhatsApp.has(community.id) &&
          (joins.has(community.id) || props.mayReadStats.has(community.id)),
      ) && <WhatsAppInferredNote lang={l} />}
      {[...joins.values()].some((j) => j.by !== 'our_forms') && (
        <p class="muted">{tg.homeVerifiedNote}</p>
      )}
      {props.create && (
        <form method="post" action={props.create.action}>
          <Csrf token={props.create.csrf} />
          <h2 class="spaced">{t.newCommunity}</h2>
          <CommunityFields t={t} lang={props.lang} form={props.create.form} />
          <p>
            <button type="submit">{t.create}</button>
          </p>
        </form>
      )}
    </section>
  )
}

/**
 * A community's joins this week: where Telegram counted them, marked so, and where it counted
 * only some (links into Telegram chats beside ones into WhatsApp), how many.
 */
function JoinsCell(props: { lang: Lang; joins: HomeJoins | undefined }) {
  const j = props.joins
  const n = formatNumber(props.lang, j?.joins ?? 0)
  if (!j || j.by === 'our_forms') return <>{n}</>
  return (
    <>
      {n} <JoinsMark lang={props.lang} joins={j} />
    </>
  )
}

/** Beside joins: all of them Telegram's, or how many of them; nothing where our forms counted. */
function JoinsMark(props: { lang: Lang; joins: HomeJoins }) {
  const j = props.joins
  if (j.by === 'our_forms') return null
  return <VerifiedMark lang={props.lang} all={j.by === 'telegram'} verified={j.verifiedJoins} />
}
