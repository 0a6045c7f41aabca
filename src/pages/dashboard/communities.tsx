import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { MESSAGES, TEAM_WORDS, type Lang } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { getCommunityOrThrow, updateCommunity } from '../../services/communities'
import { listGroups } from '../../services/groups'
import {
  demoteToGroupAdmin,
  listCommunityAdmins,
  promoteToCommunityAdmin,
} from '../../services/tokens'
import { CreateCommunitySchema, UpdateCommunitySchema } from '../../schemas/communities'
import { assertAllowedUrls } from '../../lib/urls'
import { type Community } from '../../db/schema'
import { DEFAULT_TIME_ZONE } from '../../lib/time'
import { communityFor } from '../../api/community-scope'
import { AddGroupForm } from '../../views/add-group-form'
import { Csrf, words, GroupsTable, groupLabel } from '../../views/dashboard'
import {
  FieldError,
  fieldAttributes,
  sentText,
  TimeZoneOptions,
  type FormState,
} from '../../views/form-fields'
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

const COMMUNITY_FIELDS = [
  'name',
  'description',
  'visibility',
  'consent',
  'photoUrl',
  'joinQuestions',
  'timeZone',
] as const

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
  const parsed = schema.safeParse({
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
  })
  if (!parsed.success)
    return { refused: { values, errors: fieldMessages(lang, parsed.error.issues) } }
  try {
    assertAllowedUrls(parsed.data, config)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const hosts = MESSAGES[lang].fieldProblems.imageHost(config.IMAGE_HOSTS.join(', '))
    return { refused: { values, errors: { photoUrl: hosts } } }
  }
  return { data: parsed.data as z.infer<S> }
}

/** A community's fields: as stored, as sent back after a refusal, or empty for a new one. */
export function CommunityFields(props: {
  t: ReturnType<typeof words>
  community?: Community
  form?: FormState
}) {
  const { t, community, form } = props
  const value = (field: (typeof COMMUNITY_FIELDS)[number], stored: string) =>
    sentText(form, field, stored)
  const visibility = value('visibility', community?.visibility ?? 'open')
  const consent = value('consent', community?.consent ?? 'double')
  const zone = value('timeZone', community?.timeZone ?? DEFAULT_TIME_ZONE)
  return (
    <>
      <div class="grid">
        <div>
          <label for="name">{t.name}</label>
          <input
            id="name"
            name="name"
            required
            maxlength={100}
            value={value('name', community?.name ?? '')}
            {...fieldAttributes(form, 'name', { withValue: false })}
          />
          <FieldError form={form} field="name" />
        </div>
        <div>
          <label for="visibility">{t.status}</label>
          <select
            id="visibility"
            name="visibility"
            {...fieldAttributes(form, 'visibility', { withValue: false })}
          >
            <option value="open" selected={visibility === 'open'}>
              {t.open}
            </option>
            <option value="closed" selected={visibility === 'closed'}>
              {t.closed}
            </option>
          </select>
          <FieldError form={form} field="visibility" />
        </div>
        <div>
          <label for="consent">{t.consentMode}</label>
          <select
            id="consent"
            name="consent"
            {...fieldAttributes(form, 'consent', { withValue: false })}
          >
            <option value="double" selected={consent !== 'single'}>
              {t.consentDouble}
            </option>
            <option value="single" selected={consent === 'single'}>
              {t.consentSingle}
            </option>
          </select>
          <FieldError form={form} field="consent" />
        </div>
        <div>
          <label for="photoUrl">{t.photo}</label>
          <input
            id="photoUrl"
            name="photoUrl"
            type="url"
            value={value('photoUrl', community?.photoUrl ?? '')}
            placeholder="https://"
            {...fieldAttributes(form, 'photoUrl', { withValue: false })}
          />
          <FieldError form={form} field="photoUrl" />
        </div>
        <div>
          <label for="timeZone">{t.timezone}</label>
          <select
            id="timeZone"
            name="timeZone"
            {...fieldAttributes(form, 'timeZone', { withValue: false, hint: 'timeZone-hint' })}
          >
            <TimeZoneOptions first={community?.timeZone ?? DEFAULT_TIME_ZONE} selected={zone} />
          </select>
          <div id="timeZone-hint" class="muted">
            {t.timeZoneHint}
          </div>
          <FieldError form={form} field="timeZone" />
        </div>
      </div>
      <label for="description">{t.purpose}</label>
      <textarea
        id="description"
        name="description"
        rows={2}
        maxlength={500}
        {...fieldAttributes(form, 'description', { withValue: false })}
      >
        {value('description', community?.description ?? '')}
      </textarea>
      <FieldError form={form} field="description" />
      <label for="joinQuestions">{t.questions}</label>
      <textarea
        id="joinQuestions"
        name="joinQuestions"
        rows={3}
        {...fieldAttributes(form, 'joinQuestions', { withValue: false })}
      >
        {value('joinQuestions', community?.joinQuestions.join('\n') ?? '')}
      </textarea>
      <FieldError form={form} field="joinQuestions" />
    </>
  )
}

communitiesPages.get('/admin/communities/:id/settings', (c) =>
  settingsPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/**
 * A community's settings, groups and admins; after a refused save, the form as it was sent (or
 * the new group's form, `groupForm`).
 */
export async function settingsPage(
  c: Context<AppEnv>,
  id: string,
  form?: FormState,
  groupForm?: FormState,
) {
  const t = words(lang(c))
  const scope = { communityId: id }
  assertCan(c.var.principal, 'community.read', scope)
  const edit = can(c.var.principal, 'community.update', scope)
  const changeAdmins = can(c.var.principal, 'admins.change', scope)
  const [community, groups, admins] = await Promise.all([
    getCommunityOrThrow(c.var.db, id),
    can(c.var.principal, 'groups.read', scope) ? listGroups(c.var.db, id, { limit: 100 }) : null,
    can(c.var.principal, 'admins.read', scope) ? listCommunityAdmins(c.var.db, id) : null,
  ])
  const groupName = new Map((groups?.data ?? []).map((group) => [group.id, groupLabel(t, group)]))
  const csrf = await csrfTokenFor(c)
  return communityShell(
    c,
    community,
    '/settings',
    `${community.name}: ${t.settings}`,
    <>
      {edit && (
        <section>
          <form method="post" action={inLanguage(c, `/admin/communities/${id}/settings`)}>
            <Csrf token={csrf} />
            <CommunityFields t={t} community={community} form={form} />
            <p>
              <button type="submit">{t.save}</button>
            </p>
          </form>
        </section>
      )}
      {groups && (
        <section>
          <h2>{t.groups}</h2>
          <GroupsTable lang={lang(c)} groups={groups.data} />
          {can(c.var.principal, 'group.create', scope) && (
            <AddGroupForm
              lang={lang(c)}
              csrf={csrf}
              action={inLanguage(c, `/admin/communities/${id}/groups`)}
              form={groupForm}
            />
          )}
        </section>
      )}
      {admins && (
        <section>
          <h2>{t.admins}</h2>
          {can(c.var.principal, 'team.manage', scope) && (
            <p>
              <a href={inLanguage(c, `/admin/communities/${id}/team`)}>
                {TEAM_WORDS[lang(c)].inviteTeammate} →
              </a>
            </p>
          )}
          <table>
            <tbody>
              {admins.map((admin) => (
                <tr>
                  <td>
                    <bdi>{admin.name}</bdi>
                  </td>
                  <td>
                    {t.roles[admin.role]}
                    {admin.groupId && (
                      <span class="muted">
                        {' '}
                        · <bdi>{groupName.get(admin.groupId)}</bdi>
                      </span>
                    )}
                  </td>
                  <td>
                    {changeAdmins && (
                      <form
                        method="post"
                        action={`/admin/communities/${id}/admins/${admin.id}/${admin.role === 'group_admin' ? 'promote' : 'demote'}`}
                        class="inline"
                      >
                        <Csrf token={csrf} />
                        {admin.role === 'community_admin' && !admin.groupId && (
                          <select name="groupId" aria-label={t.group}>
                            {(groups?.data ?? []).map((group) => (
                              <option value={group.id}>{groupLabel(t, group)}</option>
                            ))}
                          </select>
                        )}{' '}
                        <button type="submit" class="secondary">
                          {admin.role === 'group_admin' ? t.promote : t.demote}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>,
    form || groupForm ? 400 : 200,
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
    if (change === 'promote') await promoteToCommunityAdmin(c.var.db, id, tokenId)
    else {
      const groupId = formText(await readForm(c), 'groupId')
      await demoteToGroupAdmin(
        c.var.db,
        id,
        tokenId,
        groupId && idPattern('grp').test(groupId) ? groupId : undefined,
      )
    }
    return c.redirect(withNotice(`/admin/communities/${id}/settings`, 'saved'), 303)
  })
}
