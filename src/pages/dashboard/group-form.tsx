import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import type { Group } from '../../db/schema'
import { communityFor } from '../../api/community-scope'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { formatNumber, TEAM_WORDS } from '../../lib/i18n'
import { ANNOUNCEMENT_GROUP_MEMBER_LIMIT, maxMemberLimit } from '../../lib/limits'
import { words } from '../../views/dashboard/shell'
import { assertAllowedUrls } from '../../lib/urls'
import { telegramConfig } from '../../lib/config'
import { CreateGroupSchema, UpdateGroupSchema } from '../../schemas/groups'
import { assertCan } from '../../services/access'
import { createGroup, getGroupOrThrow, updateGroup } from '../../services/groups'
import { idPattern } from '../../lib/ids'
import { z } from 'zod'
import { settingsPage } from './communities'
import { auditDetail, auditTarget, changedNothing } from '../../middleware/audit-trail'
import { CommunityId, formString, formText, idOrThrow, inLanguage, lang, withNotice } from './page'

/**
 * Adding a group and changing its name, description and chat link from the dashboard, with the
 * API's schema, rules and service.
 */
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
    // The audit log names the group made; the page the answer leads to is the settings'.
    auditTarget(c, (await createGroup(c.var.db, community, parsed.data, new Date())).id)
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
/** The fields of `UpdateGroupSchema` that the form sends, checked the same way. */
const { name, description, chatInviteUrl } = UpdateGroupSchema.shape
const GroupEditForm = z.strictObject({
  name,
  description,
  chatInviteUrl,
  // A number field, sent as its digits (no `1e3`, no `0x10`): checked as the API's, the most
  // its kind holds by the service.
  memberLimit: z
    .string()
    .regex(/^\d{1,7}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(ANNOUNCEMENT_GROUP_MEMBER_LIMIT))
    .optional(),
})
type GroupEdit = z.infer<typeof GroupEditForm>

/**
 * Renames a group, describes it, sets or changes where joining it leads (its chat's own invite
 * link; an empty field removes it) and how many members it takes: what `PATCH /api/groups/{id}` does with
 * these fields, decided the same way (a group admin for their group, an admin of its community
 * for any). A field changes only when sent, so a form that sends the link alone keeps the name
 * and description. The address is the one from when the link was all the form set.
 */
groupFormPages.post('/admin/groups/:id/chat-link', async (c) => {
  const group = await getGroupOrThrow(c.var.db, idOrThrow(GroupId, c.req.param('id')))
  const scope = { communityId: group.communityId, groupId: group.id }
  assertCan(c.var.principal, 'group.update', scope, 'Group')
  const form = await readForm(c)
  const sent = (field: string) => formString(form, field)
  const typed = {
    name: sent('name'),
    description: sent('description'),
    chatInviteUrl: sent('chatInviteUrl')?.trim(),
    memberLimit: sent('memberLimit')?.trim(),
  }
  const refused = (errors: FieldMessages) =>
    settingsPage(c, group.communityId, undefined, undefined, {
      groupId: group.id,
      form: {
        values: {
          name: typed.name ?? group.name,
          description: typed.description ?? group.description,
          chatInviteUrl: typed.chatInviteUrl ?? group.chatInviteUrl ?? '',
          memberLimit: typed.memberLimit ?? String(group.memberLimit),
        },
        errors,
      },
    })
  const parsed = GroupEditForm.safeParse({
    name: typed.name,
    description: typed.description,
    chatInviteUrl: typed.chatInviteUrl === '' ? null : typed.chatInviteUrl,
    memberLimit: typed.memberLimit,
  })
  if (!parsed.success) return refused(fieldMessages(lang(c), parsed.error.issues))
  // The most this group's kind holds, said as such (the schema's is the announcement group's).
  const most = maxMemberLimit(group.kind)
  if ((parsed.data.memberLimit ?? 0) > most) {
    return refused({
      memberLimit: TEAM_WORDS[lang(c)].memberLimitAtMost(formatNumber(lang(c), most)),
    })
  }
  try {
    assertAllowedUrls(parsed.data, c.var.config)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return refused({ chatInviteUrl: chatLinkRefusal(c, typed.chatInviteUrl) })
  }
  const changes = changedFields(group, parsed.data)
  // Saved again as it was: nothing to write, and nothing for the audit log.
  if (Object.keys(changes).length === 0) changedNothing(c)
  else {
    try {
      await updateGroup(c.var.db, group, changes, new Date())
      // The audit log names what changed, as for a link.
      auditDetail(c, Object.keys(changes).join(', '))
    } catch (error) {
      const refusal = memberLimitRefusal(c, error, group.telegramChatId !== null)
      if (refusal) return refused({ memberLimit: refusal })
      throw error
    }
  }
  const settings = `/admin/communities/${group.communityId}/settings`
  return c.redirect(inLanguage(c, withNotice(settings, 'saved')), 303)
})

/**
 * Why the service refused a group's new limit, in the page's words: below the members it has
 * (their number as the service counted it), or above what its kind holds. Null for any other error.
 */
function memberLimitRefusal(
  c: Context<AppEnv>,
  error: unknown,
  onTelegram: boolean,
): string | null {
  if (!(error instanceof ApiError) || error.errors?.[0]?.path !== 'memberLimit') return null
  const counted = /\d+/.exec(error.errors[0].message)?.[0]
  if (!counted) return words(lang(c)).checkField
  const t = TEAM_WORDS[lang(c)]
  return error.code === 'member_limit_below_members'
    ? t.memberLimitAtLeast(formatNumber(lang(c), Number(counted)), onTelegram)
    : t.memberLimitAtMost(formatNumber(lang(c), Number(counted)))
}

/** The fields of a group's form that were sent and differ from what the group has. */
function changedFields(group: Group, edit: GroupEdit): GroupEdit {
  const fields = Object.keys(edit) as Array<keyof GroupEdit>
  return Object.fromEntries(
    fields
      .filter((field) => edit[field] !== undefined && edit[field] !== group[field])
      .map((field) => [field, edit[field]]),
  )
}
