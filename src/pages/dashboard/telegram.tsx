import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import { ApiError } from '../../lib/errors'
import { MISSING_IN_WORDS, telegramWords } from '../../lib/i18n/dashboard-telegram'
import { formatMoment } from '../../lib/time'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan } from '../../services/access'
import {
  connectTelegram,
  listTelegramChats,
  missingRights,
  readTelegramConnection,
  type TelegramConnection,
} from '../../services/telegram-chats'
import { Csrf } from '../../views/dashboard'
import { inLanguage, lang, shell } from './page'

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

telegramPages.get('/admin/telegram', async (c) => {
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
  const chats = await listTelegramChats(c.var.db, { limit: 100 })
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
          <Csrf token={await csrfTokenFor(c)} />
          <button type="submit">{t.connect}</button>
        </form>
      </section>
      <section>
        <h2>{t.chats}</h2>
        {chats.data.length === 0 ? (
          <p class="muted">{t.noChats}</p>
        ) : (
          <table>
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
                    <td>
                      <bdi>{chat.title}</bdi> <span class="muted code">{chat.chatId}</span>
                    </td>
                    <td>{chat.botStatus}</td>
                    <td>
                      {missing.length === 0
                        ? t.nothingMissing
                        : missing.map((right) => MISSING_IN_WORDS[language][right]).join('; ')}
                    </td>
                    <td class="code">{groupId ?? t.notLinked}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
    </>,
  )
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
