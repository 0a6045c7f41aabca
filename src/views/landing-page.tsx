import { formatNumber, MEMBER_OFFER_WORDS, MESSAGES } from '../lib/i18n'
import { ANNOUNCEMENT_GROUP_NAME } from '../lib/limits'
import type { Landing } from '../services/invites'
import { Layout, type PageProps } from './layout'

export interface LandingPageProps extends PageProps {
  landing: Landing
  /** The canonical URL of this invite (for link previews). */
  url: string
  joinUrl: string
  /**
   * The join is the Telegram chat's own invite link: no form, and in a Telegram group the other
   * members see one another, so the form's privacy promise would not be true there.
   */
  joinsInTelegram?: boolean
}

/**
 * What a prospective member sees after scanning a poster or tapping a link. Community text is
 * rendered through JSX, which escapes it: a name like `<script>` shows as text.
 */
export function LandingPage(props: LandingPageProps) {
  const { lang, nonce, landing, url, joinUrl } = props
  const t = MESSAGES[lang]
  const { community, invite } = landing
  const announcement = landing.groups.find((group) => group.kind === 'announcement')
  const memberCount = announcement?.memberCount ?? 0
  const target = invite.groupId
    ? landing.groups.find((group) => group.id === invite.groupId)
    : undefined
  const groups = [...landing.groups].sort(
    (a, b) => Number(b.id === target?.id) - Number(a.id === target?.id),
  )
  const description = community.description || community.name
  // An open community's join would be refused (409 `group_full`) as counted a moment ago: said
  // here rather than after the form is filled in. A Telegram chat keeps its own count.
  const full =
    community.visibility === 'open' &&
    !props.joinsInTelegram &&
    [announcement, target].some((group) => group && group.memberCount >= group.memberLimit)
  return (
    <Layout
      lang={lang}
      nonce={nonce}
      switchHref={props.switchHref}
      title={community.name}
      head={
        <>
          <meta name="description" content={description} />
          <meta property="og:type" content="website" />
          <meta property="og:title" content={community.name} />
          <meta property="og:description" content={description} />
          <meta property="og:url" content={url} />
          {community.photoUrl && <meta property="og:image" content={community.photoUrl} />}
          <meta
            name="twitter:card"
            content={community.photoUrl ? 'summary_large_image' : 'summary'}
          />
          <meta name="twitter:title" content={community.name} />
          <meta name="twitter:description" content={description} />
          {community.photoUrl && <meta name="twitter:image" content={community.photoUrl} />}
        </>
      }
    >
      <div class="card">
        {community.photoUrl && (
          <img
            class="photo"
            src={community.photoUrl}
            alt={t.photoAlt(community.name)}
            width="512"
            height="224"
          />
        )}
        <h1>
          <bdi>{community.name}</bdi>
        </h1>
        {community.description && (
          <p>
            <bdi>{community.description}</bdi>
          </p>
        )}
        {/* No count at all rather than a "0" that tells the first visitors nobody came. */}
        {memberCount > 0 && (
          <p>
            <span class="badge">
              {/* WhatsApp does not tell us who is in its groups: only who signed up through us.
                Telegram does, where a group of the community is in a chat the bot administers. */}
              {landing.groups.every((group) => group.telegramChatId === null)
                ? t.signedUpThroughUs(formatNumber(lang, memberCount))
                : memberCount === 1
                  ? `1 ${t.member}`
                  : t.members(formatNumber(lang, memberCount))}
            </span>
          </p>
        )}
        {/* That there is an offer, never what it is: that is the members' alone. */}
        {community.memberOffer && <p class="perk">{MEMBER_OFFER_WORDS[lang].teaser}</p>}
        <p class="muted">{community.visibility === 'open' ? t.openCommunity : t.closedCommunity}</p>
        {full ? (
          <p class="full" role="status">
            {t.groupFullText}
          </p>
        ) : (
          <a class="cta" href={joinUrl}>
            {community.visibility === 'open' ? t.join : t.requestToJoin}
          </a>
        )}
        <h2>{t.groupsHeading}</h2>
        <ul>
          {groups.map((group) => (
            <li class={group.id === target?.id ? 'here' : undefined}>
              <div class="g">
                {group.kind === 'announcement' && group.name === ANNOUNCEMENT_GROUP_NAME ? (
                  t.announcementGroupName
                ) : (
                  <bdi>{group.name}</bdi>
                )}
              </div>
              {group.kind === 'announcement' ? (
                <div class="muted">{t.announcementGroup}</div>
              ) : (
                (group.topic || group.description) && (
                  <div class="muted">
                    <bdi>{group.topic || group.description}</bdi>
                  </div>
                )
              )}
              {group.id === target?.id && <div class="muted">{t.youJoin}</div>}
            </li>
          ))}
        </ul>
        <p class="muted">{props.joinsInTelegram ? t.telegramPrivacy : t.privacy}</p>
      </div>
    </Layout>
  )
}
