import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { createCommunity, getCommunityOrThrow, updateCommunity } from '../../services/communities'
import { listGroups } from '../../services/groups'
import {
  demoteToGroupAdmin,
  listCommunityAdmins,
  promoteToCommunityAdmin,
} from '../../services/tokens'
import { CreateCommunitySchema, UpdateCommunitySchema } from '../../schemas/communities'
import { assertAllowedUrls } from '../../lib/urls'
import { type Community } from '../../db/schema'
import { communityFor } from '../community-scope'
import { Csrf, words, GroupsTable, groupLabel } from '../../views/dashboard'
import { CommunityId, lang, idOrThrow, formText, communityShell, refuse, withNotice } from './page'

/** Creating and editing communities, their groups and admins. */
export const communitiesApp = new Hono<AppEnv>()

/** Community fields from a form, in the API's shape, so the API's schema judges them. */
function communityFromForm(form: Record<string, unknown>) {
  const questions = formText(form, 'joinQuestions')
  return {
    name: formText(form, 'name') ?? '',
    description: formText(form, 'description') ?? '',
    visibility: formText(form, 'visibility'),
    consent: formText(form, 'consent'),
    photoUrl: formText(form, 'photoUrl') ?? null,
    joinQuestions: questions
      ? questions
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean)
      : [],
  }
}

export function CommunityFields(props: { t: ReturnType<typeof words>; community?: Community }) {
  const { t, community } = props
  return (
    <>
      <div class="grid">
        <div>
          <label for="name">{t.name}</label>
          <input id="name" name="name" required maxlength={100} value={community?.name ?? ''} />
        </div>
        <div>
          <label for="visibility">{t.status}</label>
          <select id="visibility" name="visibility">
            <option value="open" selected={community?.visibility === 'open'}>
              {t.open}
            </option>
            <option value="closed" selected={community?.visibility === 'closed'}>
              {t.closed}
            </option>
          </select>
        </div>
        <div>
          <label for="consent">{t.consentMode}</label>
          <select id="consent" name="consent">
            <option value="double" selected={community?.consent !== 'single'}>
              {t.consentDouble}
            </option>
            <option value="single" selected={community?.consent === 'single'}>
              {t.consentSingle}
            </option>
          </select>
        </div>
        <div>
          <label for="photoUrl">{t.photo}</label>
          <input
            id="photoUrl"
            name="photoUrl"
            type="url"
            value={community?.photoUrl ?? ''}
            placeholder="https://"
          />
        </div>
      </div>
      <label for="description">{t.purpose}</label>
      <textarea id="description" name="description" rows={2} maxlength={500}>
        {community?.description ?? ''}
      </textarea>
      <label for="joinQuestions">{t.questions}</label>
      <textarea id="joinQuestions" name="joinQuestions" rows={3}>
        {community?.joinQuestions.join('\n') ?? ''}
      </textarea>
    </>
  )
}

communitiesApp.post('/admin/communities', async (c) => {
  assertCan(c.var.principal, 'community.create')
  const parsed = CreateCommunitySchema.safeParse(communityFromForm(await readForm(c)))
  if (!parsed.success) refuse(parsed.error.issues)
  assertAllowedUrls(parsed.data, c.var.config)
  const { community } = await createCommunity(c.var.db, parsed.data, new Date())
  return c.redirect(`/admin/communities/${community.id}`, 303)
})

communitiesApp.get('/admin/communities/:id/settings', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
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
          <form method="post" action={`/admin/communities/${id}/settings`}>
            <Csrf token={csrf} />
            <CommunityFields t={t} community={community} />
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
        </section>
      )}
      {admins && (
        <section>
          <h2>{t.admins}</h2>
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
  )
})

communitiesApp.post('/admin/communities/:id/settings', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'community.update')
  const parsed = UpdateCommunitySchema.safeParse(communityFromForm(await readForm(c)))
  if (!parsed.success) refuse(parsed.error.issues)
  assertAllowedUrls(parsed.data, c.var.config)
  await updateCommunity(c.var.db, id, parsed.data, new Date())
  return c.redirect(withNotice(`/admin/communities/${id}/settings`, 'saved'), 303)
})

for (const change of ['promote', 'demote'] as const) {
  communitiesApp.post(`/admin/communities/:id/admins/:tokenId/${change}`, async (c) => {
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
