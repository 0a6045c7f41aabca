import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError, fieldErrors } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { addDays, utcDay } from '../../lib/time'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, type Action } from '../../services/access'
import { getCommunityOrThrow } from '../../services/communities'
import { listGroups } from '../../services/groups'
import {
  createInvite,
  getInviteOrThrow,
  inviteStatus,
  listInvites,
  revokeInvite,
  rotateInvite,
} from '../../services/invites'
import { leaderboard } from '../../services/members'
import { listRewards } from '../../services/rewards'
import { getStats, statsByInvite } from '../../services/stats'
import { formatNumber } from '../../lib/i18n'
import { InviteLabelSchema, inviteUrls, TagSchema } from '../../schemas/invites'
import {
  Csrf,
  FunnelChart,
  words,
  DiscussionGroupOptions,
  FunnelFigures,
  GroupsTable,
  percent,
} from '../../views/dashboard'
import {
  CommunityId,
  InviteId,
  lang,
  idOrThrow,
  formText,
  communityShell,
  shell,
  withNotice,
} from './page'

/** A community's overview and its campaign links: funnel, QR codes, revoke and rotate. */
export const linksApp = new Hono<AppEnv>()

linksApp.get('/admin/communities/:id', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const scope = { communityId: id }
  assertCan(c.var.principal, 'community.read', scope)
  // Each section is loaded and shown only when the API would answer this admin the same.
  const allowed = (action: Action) => can(c.var.principal, action, scope)
  const when = <T,>(action: Action, load: () => Promise<T>) =>
    allowed(action) ? load() : Promise.resolve(null)
  const community = await getCommunityOrThrow(c.var.db, id)
  const range = { from: addDays(utcDay(new Date()), -29), to: utcDay(new Date()) }
  const [groups, invites, totals, perInvite, board, rewards] = await Promise.all([
    when('groups.read', () => listGroups(c.var.db, id, { limit: 100 })),
    when('invites.read', () => listInvites(c.var.db, id, { limit: 100 })),
    when('stats.read', () => getStats(c.var.db, { communityId: id }, range)),
    when('stats.read', () => statsByInvite(c.var.db, id, range)),
    when('referrals.read', () => leaderboard(c.var.db, id, { limit: 10 })),
    when('referrals.read', () => listRewards(c.var.db, id, { limit: 20 })),
  ])
  const campaignLinks = (invites?.data ?? []).filter((invite) => !invite.referrerMemberId)
  return communityShell(
    c,
    community,
    '',
    community.name,
    <>
      {totals && (
        <section>
          <FunnelFigures lang={lang(c)} totals={totals.totals} />
          <FunnelChart lang={lang(c)} days={totals.byDay} />
        </section>
      )}
      {invites && (
        <section>
          <h2>{t.links}</h2>
          <table>
            <thead>
              <tr>
                <th>{t.label}</th>
                <th>{t.source}</th>
                <th class="n">{t.visits}</th>
                <th class="n">{t.scans}</th>
                <th class="n">{t.joins}</th>
                <th class="n">{t.conversion}</th>
                <th>{t.status}</th>
              </tr>
            </thead>
            <tbody>
              {campaignLinks.map((invite) => {
                const figures = perInvite?.get(invite.id)
                return (
                  <tr>
                    <td>
                      <a href={`/admin/links/${invite.id}`}>
                        <bdi>{invite.label ?? invite.code}</bdi>
                      </a>
                    </td>
                    <td>
                      <bdi>{invite.source ?? '–'}</bdi>
                    </td>
                    <td class="n">{formatNumber(lang(c), figures?.visits ?? 0)}</td>
                    <td class="n">{formatNumber(lang(c), figures?.scans ?? 0)}</td>
                    <td class="n">{formatNumber(lang(c), figures?.joins ?? 0)}</td>
                    <td class="n">{percent(figures?.conversionRate ?? 0, lang(c))}</td>
                    <td>{t.inviteStatuses[inviteStatus(invite, new Date())]}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          {allowed('invites.manage') && (
            <form method="post" action={`/admin/communities/${id}/links`}>
              <Csrf token={await csrfTokenFor(c)} />
              <h2 class="spaced">{t.create}</h2>
              <div class="grid">
                <div>
                  <label for="label">{t.label}</label>
                  <input id="label" name="label" maxlength={100} placeholder={t.labelPlaceholder} />
                </div>
                <div>
                  <label for="source">{t.source}</label>
                  <input id="source" name="source" maxlength={64} placeholder="instagram" />
                </div>
                <div>
                  <label for="campaign">{t.campaign}</label>
                  <input id="campaign" name="campaign" maxlength={64} />
                </div>
                <div>
                  <label for="groupId">{t.group}</label>
                  <select id="groupId" name="groupId">
                    <option value="">{t.wholeCommunity}</option>
                    <DiscussionGroupOptions groups={groups?.data ?? []} />
                  </select>
                </div>
                <div>
                  <label for="maxUses">{t.maxUses}</label>
                  <input id="maxUses" name="maxUses" type="number" min={1} />
                </div>
              </div>
              <p>
                <button type="submit">{t.create}</button>
              </p>
            </form>
          )}
        </section>
      )}
      {groups && (
        <section>
          <h2>{t.groups}</h2>
          <GroupsTable lang={lang(c)} groups={groups.data} />
        </section>
      )}
      {board && rewards && (
        <section>
          <h2>{t.leaderboard}</h2>
          {board.length === 0 && <p class="muted">{t.noLeaders}</p>}
          <ol>
            {board.map((row) => (
              <li>
                <bdi>{row.name}</bdi>: {row.referrals}
              </li>
            ))}
          </ol>
          <h2>{t.rewards}</h2>
          {rewards.data.length === 0 && <p class="muted">{t.noRewards}</p>}
          <ul>
            {rewards.data.map((reward) => (
              <li>
                <bdi>{reward.memberName}</bdi>: <bdi>{reward.title}</bdi>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>,
  )
})

const NewLinkForm = z.object({
  label: InviteLabelSchema.optional(),
  source: TagSchema.optional(),
  campaign: TagSchema.optional(),
  groupId: z.string().regex(idPattern('grp')).optional(),
  maxUses: z.coerce.number().int().min(1).max(1_000_000).optional(),
})

linksApp.post('/admin/communities/:id/links', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'invites.manage', { communityId: id })
  const form = await readForm(c)
  const parsed = NewLinkForm.safeParse(
    Object.fromEntries(
      ['label', 'source', 'campaign', 'groupId', 'maxUses'].map((key) => [
        key,
        formText(form, key),
      ]),
    ),
  )
  if (!parsed.success) {
    throw new ApiError(
      'validation_failed',
      fieldErrors(parsed.error.issues)
        .map((e) => `${e.path}: ${e.message}`)
        .join('; '),
    )
  }
  const invite = await createInvite(c.var.db, id, parsed.data, new Date())
  return c.redirect(withNotice(`/admin/links/${invite.id}`, 'created'), 303)
})

linksApp.get('/admin/links/:id', async (c) => {
  const t = words(lang(c))
  const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
  const scope = { communityId: invite.communityId }
  assertCan(c.var.principal, 'invites.read', scope)
  const community = await getCommunityOrThrow(c.var.db, invite.communityId)
  const urls = inviteUrls(c.var.config.PUBLIC_BASE_URL, invite.code)
  const stats = can(c.var.principal, 'stats.read', scope)
    ? await getStats(
        c.var.db,
        { inviteId: invite.id },
        { from: addDays(utcDay(new Date()), -29), to: utcDay(new Date()) },
      )
    : null
  const status = inviteStatus(invite, new Date())
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    invite.label ?? invite.code,
    <>
      <p>
        <a href={`/admin/communities/${community.id}`}>
          ← <bdi>{community.name}</bdi>
        </a>
      </p>
      <h1>
        <bdi>{invite.label ?? invite.code}</bdi>
      </h1>
      <section>
        <p class="code">
          <a href={urls.url}>{urls.url}</a>{' '}
          <button type="button" class="secondary" data-copy={urls.url} data-done={t.copied}>
            {t.copy}
          </button>
        </p>
        <p>
          {t.status}: <b>{t.inviteStatuses[status]}</b>
        </p>
        {status === 'active' && (
          <>
            <img
              src={`/i/${invite.code}/qr.svg?size=240`}
              alt={t.qrAlt(urls.url)}
              width="240"
              height="240"
            />
            <p>
              <a class="button" href={`/i/${invite.code}/qr.svg?download=1`}>
                {t.downloadSvg}
              </a>{' '}
              <a class="button" href={`/i/${invite.code}/qr.png?size=1024&download=1`}>
                {t.downloadPng}
              </a>
            </p>
          </>
        )}
        {can(c.var.principal, 'invites.manage', scope) && (
          <p>
            <form method="post" action={`/admin/links/${invite.id}/rotate`} class="inline">
              <Csrf token={csrf} />
              <button type="submit" class="secondary">
                {t.rotate}
              </button>
            </form>{' '}
            {!invite.revokedAt && (
              <form
                method="post"
                action={`/admin/links/${invite.id}/revoke`}
                class="inline"
                data-confirm={t.confirmRevoke}
              >
                <Csrf token={csrf} />
                <button type="submit" class="danger">
                  {t.revoke}
                </button>
              </form>
            )}
          </p>
        )}
      </section>
      {stats && (
        <section>
          <FunnelFigures lang={lang(c)} totals={stats.totals} />
          <h2 class="spaced">{t.byDay}</h2>
          <FunnelChart lang={lang(c)} days={stats.byDay} />
          <div class="grid">
            {(
              [
                [t.bySource, stats.bySource.map((row) => [row.source, row.visits] as const)],
                [t.byCountry, stats.byCountry.map((row) => [row.country, row.visits] as const)],
              ] as const
            ).map(([heading, rows]) => (
              <div>
                <h2>{heading}</h2>
                <table>
                  <tbody>
                    {rows.map(([key, visits]) => (
                      <tr>
                        <td>
                          <bdi>{key}</bdi>
                        </td>
                        <td class="n">{formatNumber(lang(c), visits)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
          </div>
        </section>
      )}
    </>,
    invite.communityId,
  )
})

for (const action of ['revoke', 'rotate'] as const) {
  linksApp.post(`/admin/links/:id/${action}`, async (c) => {
    const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
    assertCan(c.var.principal, 'invites.manage', { communityId: invite.communityId })
    await (action === 'revoke' ? revokeInvite : rotateInvite)(c.var.db, invite, new Date())
    return c.redirect(
      withNotice(`/admin/links/${invite.id}`, action === 'revoke' ? 'revoked' : 'rotated'),
      303,
    )
  })
}
