import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { communityFor } from '../../api/community-scope'
import { ApiError } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { TEAM_WORDS } from '../../lib/i18n'
import { assertAllowedUrls } from '../../lib/urls'
import { telegramConfig } from '../../lib/config'
import { CreateGroupSchema } from '../../schemas/groups'
import { HttpsUrlSchema } from '../../schemas/common'
import { assertCan } from '../../services/access'
import { createGroup, getGroupOrThrow, updateGroup } from '../../services/groups'
import { idPattern } from '../../lib/ids'
import { z } from 'zod'
import { settingsPage } from './communities'
import { changedNothing } from '../../middleware/audit-trail'
import { words } from '../../views/dashboard/shell'
import { CommunityId, formText, idOrThrow, inLanguage, lang, withNotice } from './page'

/** Adding a group and setting its chat link from the dashboard, with the API's schema, rules and service. */
export const groupFormPages = new Hono<AppEnv>()

groupFormPages.post('/admin/communities/:id/groups', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'group.create')
  const form = await readForm(c)
  const values = { name: formText(form, 'name'), chatInviteUrl: formText(form, 'chatInviteUrl') }
  const parsed = CreateGroupSchema.safeParse({
    name: values.name ?? '',
    ...(values.chatInviteUrl ? { chatInviteUrl: values.chatInviteUrl } : {}),
  })
  if (!parsed.success) {
    const errors = fieldMessages(lang(c), parsed.error.issues)
    return settingsPage(c, id, undefined, { values, errors })
  }
  try {
    assertAllowedUrls(parsed.data, c.var.config)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const errors = { chatInviteUrl: chatLinkRefusal(c, values.chatInviteUrl) }
    return settingsPage(c, id, undefined, { values, errors })
  }
  try {
    await createGroup(c.var.db, community, parsed.data, new Date())
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error
    const errors = { name: TEAM_WORDS[lang(c)].groupLimit }
    return settingsPage(c, id, undefined, { values, errors })
  }
  return c.redirect(inLanguage(c, withNotice(`/admin/communities/${id}/settings`, 'created')), 303)
})

/**
 * Why a chat link was refused: the hosts it may point to and, for a Telegram link where Telegram
 * is set up, the way a Telegram chat is linked instead (the bot in the chat, the Telegram page).
 */
function chatLinkRefusal(c: Context<AppEnv>, typed: string | undefined): string {
  const t = TEAM_WORDS[lang(c)]
  const hosts = t.chatHostOnly(c.var.config.CHAT_INVITE_HOSTS.join(', '))
  const telegramLink = /^(https?:\/\/)?(www\.)?(t|telegram)\.me\//i.test(typed?.trim() ?? '')
  return telegramLink && telegramConfig(c.var.config)
    ? `${hosts} ${t.telegramChatsLinkedByBot}`
    : hosts
}

const GroupId = z.string().regex(idPattern('grp'))
/** The one field of `UpdateGroupSchema` that the form sends, checked the same way. */
const ChatLinkForm = z.strictObject({ chatInviteUrl: HttpsUrlSchema.nullable() })

/**
 * Sets or changes where joining a group leads (its chat's own invite link), or removes it with
 * an empty field: what `PATCH /api/groups/{id}` does with `chatInviteUrl`, decided the same way
 * (a group admin for their group, an admin of its community for any).
 */
groupFormPages.post('/admin/groups/:id/chat-link', async (c) => {
  const group = await getGroupOrThrow(c.var.db, idOrThrow(GroupId, c.req.param('id')))
  const scope = { communityId: group.communityId, groupId: group.id }
  assertCan(c.var.principal, 'group.update', scope, 'Group')
  const form = await readForm(c)
  const typed = formText(form, 'chatInviteUrl')?.trim() ?? ''
  const refused = (message: string) =>
    settingsPage(c, group.communityId, undefined, undefined, {
      groupId: group.id,
      form: { values: { chatInviteUrl: typed }, errors: { chatInviteUrl: message } },
    })
  const parsed = ChatLinkForm.safeParse({ chatInviteUrl: typed === '' ? null : typed })
  if (!parsed.success) {
    const message = fieldMessages(lang(c), parsed.error.issues).chatInviteUrl
    return refused(message ?? words(lang(c)).checkField)
  }
  try {
    assertAllowedUrls(parsed.data, c.var.config)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return refused(chatLinkRefusal(c, typed))
  }
  // Saved again as it was: nothing to write, and nothing for the audit log.
  if (parsed.data.chatInviteUrl === group.chatInviteUrl) changedNothing(c)
  else await updateGroup(c.var.db, group, parsed.data, new Date())
  const settings = `/admin/communities/${group.communityId}/settings`
  return c.redirect(inLanguage(c, withNotice(settings, 'saved')), 303)
})
