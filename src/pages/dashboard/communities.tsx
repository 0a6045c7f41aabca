import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ROLE_FORM_PAGES } from '../../views/dashboard/admin-role-form'
import { ApiError } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { MESSAGES, type Lang } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, type Action } from '../../services/access'
import { communityOf, communityQuery, updateCommunity } from '../../services/communities'
import { toPage } from '../../lib/pagination'
import { listGroupsQuery } from '../../services/groups'
import {
  demoteToGroupAdmin,
  listCommunityAdmins,
  promoteToCommunityAdmin,
} from '../../services/tokens'
import { CreateCommunitySchema, UpdateCommunitySchema } from '../../schemas/communities'
import { assertAllowedUrls, httpsUrlRefusal } from '../../lib/urls'
import { communityFor } from '../../api/community-scope'
import { words } from '../../views/dashboard/shell'
import { COMMUNITY_FIELDS } from '../../views/dashboard/community-fields'
import { SettingsPage } from '../../views/dashboard/settings'
import type { FormState } from '../../views/form-fields'
import type { RefusedGroupEdit } from '../../views/dashboard/group-edit-forms'
import {
  CommunityId,
  lang,
  idOrThrow,
  formText,
  communityShell,
  inLanguage,
  withNotice,
} from './page'

/** Creating and editing communities, their groups and admins. */
export const communitiesPages = new Hono<AppEnv>()

/**
 * A community form read and judged by the API's schema, in the API's shape; or, refused, the
 * form as it was sent with a message (in `lang`) beside each field the schema or the image
 * allow-list refused.
 */
export function communityFromForm<
  S extends typeof CreateCommunitySchema | typeof UpdateCommunitySchema,
>(
  form: Record<string, unknown>,
  schema: S,
  config: { IMAGE_HOSTS: string[]; CHAT_INVITE_HOSTS: string[] },
  lang: Lang,
): { data: z.infer<S> } | { refused: FormState } {
  const values = Object.fromEntries(COMMUNITY_FIELDS.map((key) => [key, formText(form, key)]))
  const questions = values.joinQuestions
  const input = {
    name: values.name ?? '',
    description: values.description ?? '',
    visibility: values.visibility,
    consent: values.consent,
    photoUrl: values.photoUrl ?? null,
    joinQuestions: questions
      ? questions
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean)
      : [],
    timeZone: values.timeZone,
    memberOffer: values.memberOffer ?? null,
  }
  // A change takes the fields sent: one the form has but did not send (a crafted request) keeps
  // what it stands for. Refused when none of them came.
  const parsed = schema.safeParse(
    schema === UpdateCommunitySchema
      ? Object.fromEntries(Object.entries(input).filter(([key]) => Object.hasOwn(form, key)))
      : input,
  )
  if (!parsed.success)
    return { refused: { values, errors: fieldMessages(lang, parsed.error.issues) } }
  try {
    assertAllowedUrls(parsed.data, config)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const words = MESSAGES[lang].fieldProblems
    const photoUrl =
      httpsUrlRefusal(parsed.data.photoUrl ?? '', config.IMAGE_HOSTS) === 'credentials'
        ? words.imageCredentials
        : words.imageHost(config.IMAGE_HOSTS.join(', '))
    return { refused: { values, errors: { photoUrl } } }
  }
  return { data: parsed.data as z.infer<S> }
}

communitiesPages.get('/admin/communities/:id/settings', (c) =>
  settingsPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/**
 * A community's settings, groups and admins; after a refused save, the form as it was sent (or
 * the new group's form, `groupForm`, or a group's own, `groupEditForm`).
 */
export async function settingsPage(
  c: Context<AppEnv>,
  id: string,
  form?: FormState,
  groupForm?: FormState,
  groupEditForm?: RefusedGroupEdit,
) {
  const scope = { communityId: id }
  assertCan(c.var.principal, 'community.read', scope)
  const may = (action: Action) => can(c.var.principal, action, scope)
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const [communityRows, groupRows, adminRows] = await db.batch([
    communityQuery(db, id),
    listGroupsQuery(db, id, { limit: 100 }),
    listCommunityAdmins(db, id),
  ])
  const community = communityOf(communityRows)
  const groups = may('groups.read') ? toPage(groupRows, 100) : null
  const admins = may('admins.read') ? adminRows : null
  return communityShell(
    c,
    community,
    '/settings',
    `${community.name}: ${words(lang(c)).settings}`,
    <SettingsPage
      lang={lang(c)}
      community={community}
      csrf={await csrfTokenFor(c)}
      edit={
        may('community.update')
          ? { action: inLanguage(c, `/admin/communities/${id}/settings`), form }
          : null
      }
      groups={groups?.data ?? null}
      groupEdits={
        groups
          ? {
              groups: groups.data.filter((group) =>
                can(c.var.principal, 'group.update', { communityId: id, groupId: group.id }),
              ),
              actionFor: (groupId) => inLanguage(c, `/admin/groups/${groupId}/chat-link`),
              refused: groupEditForm,
            }
          : null
      }
      addGroup={
        may('group.create')
          ? { action: inLanguage(c, `/admin/communities/${id}/groups`), form: groupForm }
          : null
      }
      admins={admins}
      teamHref={may('team.manage') ? inLanguage(c, `/admin/communities/${id}/team`) : null}
      changeAdmins={may('admins.change')}
    />,
    form || groupForm || groupEditForm ? 400 : 200,
  )
}

communitiesPages.post('/admin/communities/:id/settings', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'community.update')
  const read = communityFromForm(await readForm(c), UpdateCommunitySchema, c.var.config, lang(c))
  if ('refused' in read) return settingsPage(c, id, read.refused)
  await updateCommunity(c.var.db, community, read.data, new Date())
  return c.redirect(inLanguage(c, withNotice(`/admin/communities/${id}/settings`, 'saved')), 303)
})

for (const change of ['promote', 'demote'] as const) {
  communitiesPages.post(`/admin/communities/:id/admins/:tokenId/${change}`, async (c) => {
    const id = idOrThrow(CommunityId, c.req.param('id'))
    const tokenId = idOrThrow(z.string().regex(idPattern('tok')), c.req.param('tokenId'))
    await communityFor(c, id, 'admins.change')
    const form = await readForm(c)
    // Back to the page the form was on: the settings page's admins, or the team page. Read
    // before the change, so a form refused for it changes nothing.
    const back = ROLE_FORM_PAGES.find((page) => page === formText(form, 'back')) ?? 'settings'
    const groupId = formText(form, 'groupId')
    if (change === 'promote') await promoteToCommunityAdmin(c.var.db, id, tokenId)
    else {
      await demoteToGroupAdmin(
        c.var.db,
        id,
        tokenId,
        groupId && idPattern('grp').test(groupId) ? groupId : undefined,
      )
    }
    const done = change === 'promote' ? 'promoted' : 'demoted'
    return c.redirect(inLanguage(c, withNotice(`/admin/communities/${id}/${back}`, done)), 303)
  })
}
