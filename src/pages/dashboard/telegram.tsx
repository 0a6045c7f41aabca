import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { telegramConfig, telegramLinkForPeople } from '../../lib/config'
import { ApiError } from '../../lib/errors'
import { telegramWords } from '../../lib/i18n/dashboard-telegram'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan } from '../../services/access'
import { z } from 'zod'
import { idPattern } from '../../lib/ids'
import { readForm } from '../../lib/forms'
import { getGroupOrThrow, updateGroup } from '../../services/groups'
import { retryFailedTelegramLinks } from '../../platforms/telegram/invite-links'
import {
  checkChatForGroup,
  groupOfTelegramChat,
  groupsToLink,
  connectTelegram,
  listTelegramChats,
  missingRights,
  readTelegramConnection,
  type TelegramConnection,
} from '../../services/telegram-chats'
import { TelegramPage } from '../../views/dashboard/telegram'
import { formText, inLanguage, lang, shell } from './page'
import { auditLater } from '../../middleware/audit-trail'
import type { Group } from '../../db/schema'

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
  const info = connection?.info
  return shell(
    c,
    t.title,
    <TelegramPage
      lang={language}
      csrf={await csrfTokenFor(c)}
      href={(path) => inLanguage(c, path)}
      failure={failure}
      info={info}
      connected={info !== undefined && info.url === connection!.expectedUrl}
      refusal={refusal}
      done={DoneSchema.safeParse(c.req.query('done')).data}
      chats={chats.data.map((known) => ({ ...known, missing: missingRights(known.chat) }))}
      groups={groups}
      botUsername={telegram.botUsername}
      botLink={
        telegram.botUsername &&
        telegramLinkForPeople(
          c.var.config,
          `https://t.me/${encodeURIComponent(telegram.botUsername)}`,
        )
      }
    />,
    refusal ? 409 : 200,
  )
}

/** What the page was sent back with after a change, to say it was done. */
const DoneSchema = z.enum(['linked', 'unlinked'])

const ChatIdSchema = z.coerce
  .number()
  .int()
  .min(-(2 ** 53) + 1)
  .max(2 ** 53 - 1)

const LinkFormSchema = z.object({
  chatId: ChatIdSchema,
  groupId: z.string().regex(idPattern('grp')),
})

/** A group's link to a chat made or undone, in its community's audit log. */
function auditChatLink(c: Context<AppEnv>, group: Group, detail: string) {
  auditLater(c, {
    communityId: group.communityId,
    action: 'group.changed',
    actor: c.var.principal,
    targetId: group.id,
    detail,
  })
}

/**
 * The picker: links a group to a chat, or says in the admin's language why it cannot. A chat
 * linked to another group moves: that group is unlinked in the same step,
 * once the chat is known to be fit for the new one.
 */
telegramPages.post('/admin/telegram/link', async (c) => {
  const telegram = telegramOrNotFound(c)
  const form = await readForm(c)
  const parsed = LinkFormSchema.safeParse({
    chatId: formText(form, 'chatId'),
    groupId: formText(form, 'groupId'),
  })
  if (!parsed.success) return c.redirect(inLanguage(c, '/admin/telegram'), 303)
  const { chatId } = parsed.data
  const now = new Date()
  const [group, linkedBefore] = await Promise.all([
    getGroupOrThrow(c.var.db, parsed.data.groupId),
    groupOfTelegramChat(c.var.db, chatId),
  ])
  try {
    await checkChatForGroup(c.var.db, telegram, chatId, group.id, now, {
      movingFrom: linkedBefore?.id,
    })
    if (linkedBefore && linkedBefore.id !== group.id) {
      await updateGroup(c.var.db, linkedBefore, { telegramChatId: null }, now)
      auditChatLink(c, linkedBefore, `Telegram ${chatId} unlinked`)
    }
    await updateGroup(c.var.db, group, { telegramChatId: chatId }, now)
    await retryFailedTelegramLinks(c.var.db, chatId, now)
    auditChatLink(c, group, `Telegram ${chatId}`)
  } catch (error) {
    const refused = error instanceof ApiError && telegramWords(lang(c)).refused[error.code]
    if (!refused) throw error
    return telegramPage(c, refused)
  }
  return c.redirect(inLanguage(c, '/admin/telegram?done=linked'), 303)
})

/**
 * Unlinks a chat's group: it follows no Telegram chat, its links' Telegram links into the chat
 * are revoked and the requests waiting to join it end (as `PATCH /api/groups/{id}` with
 * `telegramChatId: null`). Nothing linked: nothing to do, the page shows the chat as it is.
 */
telegramPages.post('/admin/telegram/unlink', async (c) => {
  telegramOrNotFound(c)
  const form = await readForm(c)
  const chatId = ChatIdSchema.safeParse(formText(form, 'chatId'))
  if (!chatId.success) return c.redirect(inLanguage(c, '/admin/telegram'), 303)
  const group = await groupOfTelegramChat(c.var.db, chatId.data)
  if (!group) return c.redirect(inLanguage(c, '/admin/telegram'), 303)
  await updateGroup(c.var.db, group, { telegramChatId: null }, new Date())
  auditChatLink(c, group, `Telegram ${chatId.data} unlinked`)
  return c.redirect(inLanguage(c, '/admin/telegram?done=unlinked'), 303)
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
