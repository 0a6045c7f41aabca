import type { TelegramChat } from '../../db/schema'
import type { Lang } from '../../lib/i18n'
import { MISSING_IN_WORDS, telegramWords } from '../../lib/i18n/dashboard-telegram'
import { formatMoment } from '../../lib/time'
import type { WebhookInfo } from '../../platforms/telegram'
import type { MissingRight } from '../../services/telegram-chats'
import { Csrf, groupLabel, words } from './shell'

/** What the Telegram page shows, read and decided by its handler. */
export interface TelegramView {
  lang: Lang
  csrf: string
  /** A dashboard path in the page's language. */
  href: (path: string) => string
  /** Why Telegram could not be asked about the webhook, if it could not. */
  failure: string | null
  /** The webhook as Telegram reports it, when it could be asked. */
  info: WebhookInfo | undefined
  /** Whether Telegram sends its updates to this Worker. */
  connected: boolean
  /** Why the last link was refused, in the admin's language. */
  refusal: string | undefined
  /** What the last action did, to say so. */
  done: 'linked' | 'unlinked' | undefined
  /** The chats the bot is in, with the group each is linked to and what the bot still needs. */
  chats: Array<{ chat: TelegramChat; groupId: string | null; missing: MissingRight[] }>
  /** The bot's user name (`TELEGRAM_BOT_USERNAME`), for Telegram's links that add it. */
  botUsername: string | null
  /** Where the bot's Telegram link opens for people (`TELEGRAM_LINK_BASE`). */
  botLink: string | null
  /** The groups a chat can be linked to. */
  groups: Array<{
    id: string
    name: string
    kind: string
    community: string
    telegramChatId: number | null
    chatInviteUrl: string | null
  }>
}

/**
 * The Telegram bot, for owners: whether Telegram sends its updates here (and its last delivery
 * error), the button that connects it, and the chats the bot administers with what it still
 * needs there.
 */
export function TelegramPage(props: TelegramView) {
  const language = props.lang
  const t = telegramWords(language)
  // What linking a group to this chat would undo, beside its name in the picker.
  const pickerNote = (group: TelegramView['groups'][number], chatId: number) =>
    group.telegramChatId !== null && group.telegramChatId !== chatId
      ? ` (${t.linkedToOtherChat})`
      : group.telegramChatId === null && group.chatInviteUrl !== null
        ? ` (${t.hasWhatsAppChat})`
        : ''
  const { csrf, info, failure, refusal } = props
  return (
    <>
      <h1>{t.title}</h1>
      <section>
        <p class="muted">{t.intro}</p>
        <h2>{t.webhook}</h2>
        {failure ? (
          <p role="status">
            {t.unreachable} {failure}
          </p>
        ) : (
          <p role="status">{props.connected ? t.connected : t.notConnected}</p>
        )}
        {info?.last_error_message ? (
          <p>
            {t.lastError} (
            {formatMoment(language, new Date((info.last_error_date ?? 0) * 1000), 'UTC', {
              zone: true,
            })}
            ): <bdi>{info.last_error_message}</bdi>
          </p>
        ) : (
          info && <p class="muted">{t.noError}</p>
        )}
        <form method="post" action={props.href('/admin/telegram/connect')}>
          <Csrf token={csrf} />
          {/* Connected already: the same button sets the webhook again, and says so. */}
          <button type="submit">{props.connected ? t.reconnect : t.connect}</button>
        </form>
      </section>
      <section>
        <h2>{t.chats}</h2>
        {refusal && (
          <p class="err" role="alert">
            {refusal}
          </p>
        )}
        {props.done && <p role="status">{t[props.done]}</p>}
        {props.botUsername && props.botLink && (
          <AddBotLinks lang={language} bot={props.botUsername} link={props.botLink} />
        )}
        {props.chats.length === 0 ? (
          <p class="muted">{t.noChats}</p>
        ) : (
          <table class="cards">
            <thead>
              <tr>
                <th>{t.chat}</th>
                <th>{t.botStatus}</th>
                <th>{t.missing}</th>
                <th id="telegram-group">{t.group}</th>
              </tr>
            </thead>
            <tbody>
              {props.chats.map(({ chat, groupId, missing }) => (
                <tr>
                  <td data-label={t.chat}>
                    <bdi id={`telegram-chat${chat.chatId}`}>{chat.title}</bdi>
                    {/* A chat id is read and copied whole: "-100…" broken over two lines reads as two. */}
                    <div class="muted small code whole">{chat.chatId}</div>
                  </td>
                  <td data-label={t.botStatus}>{t.botStatuses[chat.botStatus]}</td>
                  <td data-label={t.missing}>
                    {missing.length === 0
                      ? t.nothingMissing
                      : missing.map((right) => MISSING_IN_WORDS[language][right]).join('; ')}
                  </td>
                  <td data-label={t.group}>
                    <form method="post" action={props.href('/admin/telegram/link')}>
                      <Csrf token={csrf} />
                      <input type="hidden" name="chatId" value={String(chat.chatId)} />
                      {/* Named by its column and its chat: a screen reader going from field to
                          field hears which chat each picker and button is for. */}
                      <select
                        name="groupId"
                        aria-labelledby={`telegram-group telegram-chat${chat.chatId}`}
                      >
                        {groupId === null && <option value="">{t.notLinked}</option>}
                        {props.groups.map((group) => (
                          <option value={group.id} selected={group.id === groupId}>
                            {group.community} · {groupLabel(words(language), group)}
                            {pickerNote(group, chat.chatId)}
                          </option>
                        ))}
                      </select>{' '}
                      {/* Linking changes where a group's people are sent: asked first. */}
                      <button
                        type="submit"
                        aria-describedby={`telegram-chat${chat.chatId}`}
                        data-confirm={t.confirmLink(chat.title)}
                      >
                        {groupId === null ? t.link : t.relink}
                      </button>
                    </form>
                    {groupId !== null && (
                      <form
                        method="post"
                        action={props.href('/admin/telegram/unlink')}
                        class="inline"
                      >
                        <Csrf token={csrf} />
                        <input type="hidden" name="chatId" value={String(chat.chatId)} />
                        <button
                          type="submit"
                          class="secondary"
                          aria-describedby={`telegram-chat${chat.chatId}`}
                          data-confirm={t.confirmUnlink(chat.title)}
                        >
                          {t.unlink}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  )
}

/**
 * Telegram's own links that add the bot to a group or a channel as an administrator with the
 * rights it needs there (`startgroup` / `startchannel` with `admin`): the person picks the chat
 * in Telegram, and the chat appears in the list once Telegram tells the bot.
 */
function AddBotLinks(props: { lang: Lang; bot: string; link: string }) {
  const t = telegramWords(props.lang)
  const base = props.link
  return (
    <p>
      {t.addBot(props.bot)}{' '}
      <a href={`${base}?startgroup&admin=invite_users`} rel="noopener noreferrer">
        {t.addToGroup}
      </a>
      {' · '}
      <a href={`${base}?startchannel&admin=post_messages+invite_users`} rel="noopener noreferrer">
        {t.addToChannel}
      </a>
    </p>
  )
}
