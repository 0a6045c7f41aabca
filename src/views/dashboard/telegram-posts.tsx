import type { Lang } from '../../lib/i18n'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import { formatMoment } from '../../lib/time'
import type { TelegramPostRow } from '../../services/delivery/telegram-posts'

/**
 * An announcement's posts to Telegram chats, for its report: one message per run and chat, which
 * the whole chat sees. Shown apart from the recipients, and never as delivered or read by anyone:
 * Telegram does not say who read a message in a group or channel.
 */
export function TelegramPostsSection(props: {
  lang: Lang
  posts: TelegramPostRow[]
  timeZone: string
}) {
  const { posts } = props
  if (posts.length === 0) return null
  const l = props.lang
  const t = telegramDashboardWords(l)
  return (
    <section id="telegram-posts">
      <h2>{t.posts}</h2>
      <p class="muted">{t.postsIntro}</p>
      <table class="cards">
        <thead>
          <tr>
            <th>{t.chat}</th>
            <th>{t.status}</th>
            <th>{t.messageId}</th>
            <th>{t.when}</th>
          </tr>
        </thead>
        <tbody>
          {posts.map((post) => (
            <tr>
              <td data-label={t.chat}>
                {post.memberId !== null ? (
                  <>
                    {t.privateChat('')}
                    <bdi>{post.memberName ?? post.chatId}</bdi>
                  </>
                ) : post.groupName === null ? (
                  post.chatId
                ) : (
                  <bdi>{post.groupName}</bdi>
                )}
              </td>
              <td data-label={t.status}>
                {t.postStatuses[post.status]}
                {post.status === 'queued' && post.nextAttemptAt > 0 && (
                  <div class="muted">
                    {t.waitsUntil(formatMoment(l, new Date(post.nextAttemptAt), props.timeZone))}
                  </div>
                )}
                {post.lastError && post.status !== 'sent' && (
                  <div class="muted">{t.reasons[post.lastError] ?? t.otherReason}</div>
                )}
              </td>
              <td data-label={t.messageId}>{post.messageId ?? '–'}</td>
              <td data-label={t.when}>
                {post.sentAt === null
                  ? '–'
                  : formatMoment(l, new Date(post.sentAt), props.timeZone)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
