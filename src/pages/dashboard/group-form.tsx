import { Hono } from 'hono'
import type { AppEnv } from '../../env'
import { communityFor } from '../../api/community-scope'
import { ApiError } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { TEAM_WORDS } from '../../lib/i18n'
import { assertAllowedUrls } from '../../lib/urls'
import { CreateGroupSchema } from '../../schemas/groups'
import { createGroup } from '../../services/groups'
import { settingsPage } from './communities'
import { CommunityId, formText, idOrThrow, inLanguage, lang, withNotice } from './page'

/** Adding a group from the dashboard, with the API's schema, rules and service. */
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
    const hosts = TEAM_WORDS[lang(c)].chatHostOnly(c.var.config.CHAT_INVITE_HOSTS.join(', '))
    return settingsPage(c, id, undefined, { values, errors: { chatInviteUrl: hosts } })
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
