import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import { ApiError } from '../../lib/errors'
import { MISSING_IN_WORDS, telegramWords } from '../../lib/i18n/dashboard-telegram'
import { formatMoment } from '../../lib/time'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan } from '../../services/access'
import { z } from 'zod'
import { idPattern } from '../../lib/ids'
import { readForm } from '../../lib/forms'
import { getGroupOrThrow, updateGroup } from '../../services/groups'
import { retryFailedTelegramLinks } from '../../platforms/telegram/invite-links'
import {
  checkChatForGroup,
  groupsToLink,
  connectTelegram,
  listTelegramChats,
  missingRights,
  readTelegramConnection,
  type TelegramConnection,
} from '../../services/telegram-chats'
import { Csrf, groupLabel, words } from '../../views/dashboard'
import { formText, inLanguage, lang, shell } from './page'
import { auditLater } from '../../middleware/audit-trail'

/**
 * The Telegram bot, for owners: whether Telegram sends its updates here (and its last delivery
 * error), the button that connects it, and the chats the bot administers with what it still
 * needs there. Absent while Telegram is not configured.
 */
export const telegramPages = new Hono<AppEnv>()

function telegramOrNotFound(c: Context<AppEnv>) {
  assertCan(c.var.principal, 'telegram.manage')
  const telegram = telegramConfig(c.var.config)
  if (!telegram) throw new ApiError('not_found', 'Telegram is not configured.')
  return telegram
}

telegramPages.get('/admin/telegram', (c) => telegramPage(c))

async function telegramPage(c: Context<AppEnv>, refusal?: string) {
  const telegram = telegramOrNotFound(c)
  const language = lang(c)
  const t = telegramWords(language)
  let connection: TelegramConnection | null = null
  let failure: string | null = null
  try {
    connection = await readTelegramConnection(telegram, c.var.config.PUBLIC_BASE_URL)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    failure = error.message
  }
  const [chats, groups] = await Promise.all([
    listTelegramChats(c.var.db, { limit: 100 }),
    groupsToLink(c.var.db),
  ])
  const csrf = await csrfTokenFor(c)
  const info = connection?.info
  const connected = info !== undefined && info.url === connection!.expectedUrl
  return shell(
    c,
    t.title,
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
          <p role="status">{connected ? t.connected : t.notConnected}</p>
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
        <form method="post" action={inLanguage(c, '/admin/telegram/connect')}>
          <Csrf token={csrf} />
          <button type="submit">{t.connect}</button>
        </form>
      </section>
      <section>
        <h2>{t.chats}</h2>
        {refusal && (
          <p class="error" role="alert">
            {refusal}
          </p>
        )}
        {c.req.query('done') === 'linked' && <p role="status">{t.linked}</p>}
        {chats.data.length === 0 ? (
          <p class="muted">{t.noChats}</p>
        ) : (
          <table class="cards">
            <thead>
              <tr>
                <th>{t.chat}</th>
                <th>{t.botStatus}</th>
                <th>{t.missing}</th>
                <th>{t.group}</th>
              </tr>
            </thead>
            <tbody>
              {chats.data.map(({ chat, groupId }) => {
                const missing = missingRights(chat)
                return (
                  <tr>
                    <td data-label={t.chat}>
                      <bdi>{chat.title}</bdi> <span class="muted code">{chat.chatId}</span>
                    </td>
                    <td data-label={t.botStatus}>{t.botStatuses[chat.botStatus]}</td>
                    <td data-label={t.missing}>
                      {missing.length === 0
                        ? t.nothingMissing
                        : missing.map((right) => MISSING_IN_WORDS[language][right]).join('; ')}
                    </td>
                    <td data-label={t.group}>
                      <form method="post" action={inLanguage(c, '/admin/telegram/link')}>
                        <Csrf token={csrf} />
                        <input type="hidden" name="chatId" value={String(chat.chatId)} />
                        <select name="groupId" aria-label={t.group}>
                          {groupId === null && <option value="">{t.notLinked}</option>}
                          {groups.map((group) => (
                            <option value={group.id} selected={group.id === groupId}>
                              {group.community} · {groupLabel(words(language), group)}
                            </option>
                          ))}
                        </select>{' '}
                        <button type="submit">{t.link}</button>
                      </form>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
    </>,
    undefined,
    refusal ? 409 : 200,
  )
}

const LinkFormSchema = z.object({
  chatId: z.coerce
    .number()
    .int()
    .min(-(2 ** 53) + 1)
    .max(2 ** 53 - 1),
  groupId: z.string().regex(idPattern('grp')),
})

/** The picker: links a group to a chat, or says in the admin's language why it cannot. */
telegramPages.post('/admin/telegram/link', async (c) => {
  const telegram = telegramOrNotFound(c)
  const form = await readForm(c)
  const parsed = LinkFormSchema.safeParse({
    chatId: formText(form, 'chatId'),
    groupId: formText(form, 'groupId'),
  })
  if (!parsed.success) return c.redirect(inLanguage(c, '/admin/telegram'), 303)
  const now = new Date()
  const group = await getGroupOrThrow(c.var.db, parsed.data.groupId)
  try {
    await checkChatForGroup(c.var.db, telegram, parsed.data.chatId, group.id, now)
    await updateGroup(c.var.db, group, { telegramChatId: parsed.data.chatId }, now)
    await retryFailedTelegramLinks(c.var.db, { chatId: parsed.data.chatId, groupId: group.id }, now)
    auditLater(c, {
      communityId: group.communityId,
      action: 'group.changed',
      actor: c.var.principal,
      targetId: group.id,
      detail: `telegram chat ${parsed.data.chatId}`,
    })
  } catch (error) {
    const refused = error instanceof ApiError && telegramWords(lang(c)).refused[error.code]
    if (!refused) throw error
    return telegramPage(c, refused)
  }
  return c.redirect(inLanguage(c, '/admin/telegram?done=linked'), 303)
})

/** The connect button: setWebhook, then back to the page, which shows what Telegram reports. */
telegramPages.post('/admin/telegram/connect', async (c) => {
  const telegram = telegramOrNotFound(c)
  try {
    await connectTelegram(telegram, c.var.config.PUBLIC_BASE_URL)
  } catch (error) {
    // The page says what Telegram answered; connecting again is harmless.
    if (!(error instanceof ApiError)) throw error
  }
  return c.redirect(inLanguage(c, '/admin/telegram'), 303)
})
