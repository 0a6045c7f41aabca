import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env'
import { ApiError, ERROR_CODES, fieldErrors, problemTitle, type ErrorCode } from '../lib/errors'
import { readForm } from '../lib/forms'
import { pickLanguage, type Lang } from '../lib/i18n'
import { addDays, utcDay } from '../lib/time'
import { idPattern } from '../lib/ids'
import { PaginationQuerySchema } from '../lib/pagination'
import { csrfTokenFor, dashboardSession, endSession, startSession } from '../middleware/dashboard-session'
import { assertCanManageCommunity, assertCanReadCommunity, assertOwner, canManageCommunity, isOwner } from '../services/access'
import { cancelAnnouncement, createAnnouncement, deliverySummary, getAnnouncementOrThrow, listAnnouncements, previewRuns, sendAnnouncementNow } from '../services/announcements'
import { createCommunity, getCommunityOrThrow, listCommunities, updateCommunity } from '../services/communities'
import { listGroups } from '../services/groups'
import { createInvite, getInviteOrThrow, inviteStatus, listInvites, revokeInvite, rotateInvite } from '../services/invites'
import { getJoinRequestOrThrow, listJoinRequests, pendingCounts } from '../services/join-requests'
import { approveJoinRequest, endMembership, rejectJoinRequest } from '../services/joining'
import { exportMembersCsv, getMemberOrThrow, groupIdsOfMembers, leaderboard, listMembers } from '../services/members'
import { listRewards } from '../services/rewards'
import { getStats, statsByInvite } from '../services/stats'
import { demoteToGroupAdmin, findPrincipalByToken, listCommunityAdmins, promoteToCommunityAdmin } from '../services/tokens'
import { inviteUrls } from '../schemas/invites'
import { CreateCommunitySchema, UpdateCommunitySchema } from '../schemas/communities'
import { assertAllowedUrls } from '../lib/urls'
import { EVENT_TYPES, type Community } from '../db/schema'
import { signingSecret } from '../lib/config'
import { CreateWebhookSchema, TimeZoneSchema } from '../schemas/announcements'
import { createWebhookEndpoint, listWebhookEndpoints, recentWebhookDeliveries } from '../services/webhooks'
import { Csrf, FunnelChart, Shell, words } from '../views/dashboard'

/**
 * The dashboard at `/admin`: the same services as the API behind a session cookie, for people
 * who would rather click than call. Every rule (who may do what, limits) lives in the services;
 * this file only turns forms into service calls and results into pages.
 */
export const dashboardApp = new Hono<AppEnv>()

const CommunityId = z.string().regex(idPattern('cmt'))
const InviteId = z.string().regex(idPattern('inv'))

function lang(c: Context<AppEnv>): Lang {
  return pickLanguage(c.req.header('accept-language'), c.req.query('lang'))
}

function idOrThrow(schema: z.ZodString, value: string | undefined): string {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new ApiError('not_found', 'No such page.')
  return parsed.data
}

function formText(form: Record<string, unknown>, key: string): string | undefined {
  const value = form[key]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/**
 * What the last action did, from the redirect's query: counts and error codes only, turned into
 * text here, so a crafted link cannot put words on an admin's screen.
 */
function notice(c: Context<AppEnv>): string | undefined {
  const decided = c.req.query('decided')
  if (!decided || !/^\d{1,3}$/.test(decided)) return undefined
  const refused = (c.req.query('refused') ?? '')
    .split(',')
    .filter((code): code is ErrorCode => (ERROR_CODES as string[]).includes(code))
    .map((code) => problemTitle(code))
  return [`${decided} ✓`, ...refused].join(' · ')
}

/**
 * The page frame. Its header shows the pending requests from every page: of the community on
 * screen, or else of every community this admin manages.
 */
async function shell(c: Context<AppEnv>, title: string, body: unknown, communityId?: string) {
  const principal = c.var.principal
  const managed = communityId
    ? [communityId].filter((id) => canManageCommunity(principal, id))
    : (await listCommunities(c.var.db, principal, { limit: 100 })).data.map((community) => community.id).filter((id) => canManageCommunity(principal, id))
  const counts = await pendingCounts(c.var.db, managed)
  const pending = managed.length > 0 ? [...counts.values()].reduce((sum, n) => sum + n, 0) : undefined
  return c.html(
    <Shell
      lang={lang(c)}
      title={title}
      who={principal.name}
      pendingCount={pending}
      approvalsHref={communityId ? `/admin/communities/${communityId}/approvals` : undefined}
      csrf={await csrfTokenFor(c)}
      notice={notice(c)}
    >
      {body as never}
    </Shell>,
  )
}

dashboardApp.get('/admin/login', (c) => {
  const t = words(lang(c))
  const failed = c.req.query('failed') === '1'
  return c.html(
    <Shell lang={lang(c)} title={t.signIn}>
      <section style="max-width:28rem;margin:2rem auto">
        <h1>{t.signIn}</h1>
        <p class="muted">{t.signInHint}</p>
        {failed && <p class="err" role="alert">{t.wrongToken}</p>}
        <form method="post" action={`/admin/login?next=${encodeURIComponent(c.req.query('next') ?? '/admin')}`}>
          <label for="token">{t.token}</label>
          <input id="token" name="token" type="password" required autocomplete="current-password" style="width:100%" />
          <p>
            <button type="submit">{t.signIn}</button>
          </p>
        </form>
      </section>
    </Shell>,
  )
})

dashboardApp.post('/admin/login', async (c) => {
  const form = await readForm(c)
  const token = typeof form.token === 'string' ? form.token.trim() : ''
  const principal = token ? await findPrincipalByToken(c.var.db, token, c.var.config.ADMIN_TOKEN) : null
  if (!principal) return c.redirect('/admin/login?failed=1', 303)
  await startSession(c, principal.tokenId)
  const next = c.req.query('next') ?? '/admin'
  // Only a path of this dashboard: never an open redirect.
  return c.redirect(/^\/admin(\/[\w/-]*)?$/.test(next) ? next : '/admin', 303)
})

dashboardApp.use('/admin', dashboardSession())
dashboardApp.use('/admin/*', async (c, next) => (c.req.path === '/admin/login' ? next() : dashboardSession()(c, next)))

dashboardApp.post('/admin/logout', (c) => {
  endSession(c)
  return c.redirect('/admin/login', 303)
})

dashboardApp.get('/admin', async (c) => {
  const t = words(lang(c))
  const page = await listCommunities(c.var.db, c.var.principal, { limit: 100 })
  const pending = await pendingCounts(c.var.db, page.data.filter((community) => canManageCommunity(c.var.principal, community.id)).map((community) => community.id))
  return shell(
    c,
    t.communities,
    <section>
      <h1>{t.communities}</h1>
      <table>
        <thead>
          <tr>
            <th>{t.communities}</th>
            <th>{t.status}</th>
            <th class="n" id="approvals">{t.approvals}</th>
          </tr>
        </thead>
        <tbody>
          {page.data.map((community) => (
            <tr>
              <td>
                <a href={`/admin/communities/${community.id}`}>{community.name}</a>
              </td>
              <td>{community.visibility === 'open' ? t.open : t.closed}</td>
              <td class="n">
                {pending.has(community.id) ? <a href={`/admin/communities/${community.id}/approvals`}>{pending.get(community.id)} {t.pending}</a> : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {isOwner(c.var.principal) && (
        <form method="post" action="/admin/communities">
          <Csrf token={await csrfTokenFor(c)} />
          <h2 style="margin-top:1rem">{t.newCommunity}</h2>
          <CommunityFields t={t} />
          <p>
            <button type="submit">{t.create}</button>
          </p>
        </form>
      )}
      <p>
        <a href="/admin/webhooks">Webhooks</a>
      </p>
    </section>,
  )
})

/** Community fields from a form, in the API's shape, so the API's schema judges them. */
function communityFromForm(form: Record<string, unknown>) {
  const questions = formText(form, 'joinQuestions')
  return {
    name: formText(form, 'name') ?? '',
    description: formText(form, 'description') ?? '',
    visibility: formText(form, 'visibility'),
    photoUrl: formText(form, 'photoUrl') ?? null,
    joinQuestions: questions ? questions.split(/\r?\n/).map((line) => line.trim()).filter(Boolean) : [],
  }
}

function refuse(issues: readonly z.core.$ZodIssue[]): never {
  throw new ApiError('validation_failed', fieldErrors(issues).map((e) => `${e.path}: ${e.message}`).join('; '))
}

function CommunityFields(props: { t: ReturnType<typeof words>; community?: Community }) {
  const { t, community } = props
  return (
    <>
      <div class="grid">
        <div>
          <label for="name">Name</label>
          <input id="name" name="name" required maxlength={100} value={community?.name ?? ''} />
        </div>
        <div>
          <label for="visibility">{t.status}</label>
          <select id="visibility" name="visibility">
            <option value="open" selected={community?.visibility === 'open'}>{t.open}</option>
            <option value="closed" selected={community?.visibility === 'closed'}>{t.closed}</option>
          </select>
        </div>
        <div>
          <label for="photoUrl">{t.photo}</label>
          <input id="photoUrl" name="photoUrl" type="url" value={community?.photoUrl ?? ''} placeholder="https://" />
        </div>
      </div>
      <label for="description">{t.purpose}</label>
      <textarea id="description" name="description" rows={2} maxlength={500}>{community?.description ?? ''}</textarea>
      <label for="joinQuestions">{t.questions}</label>
      <textarea id="joinQuestions" name="joinQuestions" rows={3}>{community?.joinQuestions.join('\n') ?? ''}</textarea>
    </>
  )
}

dashboardApp.post('/admin/communities', async (c) => {
  assertOwner(c.var.principal)
  const parsed = CreateCommunitySchema.safeParse(communityFromForm(await readForm(c)))
  if (!parsed.success) refuse(parsed.error.issues)
  assertAllowedUrls(parsed.data, c.var.config)
  const { community } = await createCommunity(c.var.db, parsed.data, new Date())
  return c.redirect(`/admin/communities/${community.id}`, 303)
})

dashboardApp.get('/admin/communities/:id/settings', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const [community, groups, admins] = await Promise.all([
    getCommunityOrThrow(c.var.db, id),
    listGroups(c.var.db, id, { limit: 100 }),
    listCommunityAdmins(c.var.db, id),
  ])
  const groupName = new Map(groups.data.map((group) => [group.id, group.name]))
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    `${community.name}: ${t.settings}`,
    <>
      <h1>{community.name}</h1>
      <Tabs communityId={id} current="/settings" t={t} />
      <section>
        <form method="post" action={`/admin/communities/${id}/settings`}>
          <Csrf token={csrf} />
          <CommunityFields t={t} community={community} />
          <p>
            <button type="submit">{t.save}</button>
          </p>
        </form>
      </section>
      <section>
        <h2>{t.groups}</h2>
        <table>
          <tbody>
            {groups.data.map((group) => (
              <tr>
                <td>{group.name}</td>
                <td>{group.kind}</td>
                <td class="n">
                  {group.memberCount} / {group.memberLimit}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t.admins}</h2>
        <table>
          <tbody>
            {admins.map((admin) => (
              <tr>
                <td>{admin.name}</td>
                <td>
                  {admin.role}
                  {admin.groupId && <span class="muted"> · {groupName.get(admin.groupId)}</span>}
                </td>
                <td>
                  <form method="post" action={`/admin/communities/${id}/admins/${admin.id}/${admin.role === 'group_admin' ? 'promote' : 'demote'}`} class="inline">
                    <Csrf token={csrf} />
                    {admin.role === 'community_admin' && !admin.groupId && (
                      <select name="groupId" aria-label={t.group}>
                        {groups.data.map((group) => (
                          <option value={group.id}>{group.name}</option>
                        ))}
                      </select>
                    )}{' '}
                    <button type="submit" class="secondary">
                      {admin.role === 'group_admin' ? t.promote : t.demote}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>,
    id,
  )
})

dashboardApp.post('/admin/communities/:id/settings', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const parsed = UpdateCommunitySchema.safeParse(communityFromForm(await readForm(c)))
  if (!parsed.success) refuse(parsed.error.issues)
  assertAllowedUrls(parsed.data, c.var.config)
  await updateCommunity(c.var.db, id, parsed.data, new Date())
  return c.redirect(`/admin/communities/${id}/settings`, 303)
})

for (const change of ['promote', 'demote'] as const) {
  dashboardApp.post(`/admin/communities/:id/admins/:tokenId/${change}`, async (c) => {
    const id = idOrThrow(CommunityId, c.req.param('id'))
    const tokenId = idOrThrow(z.string().regex(idPattern('tok')), c.req.param('tokenId'))
    assertCanManageCommunity(c.var.principal, id)
    if (change === 'promote') await promoteToCommunityAdmin(c.var.db, id, tokenId)
    else {
      const groupId = formText(await readForm(c), 'groupId')
      await demoteToGroupAdmin(c.var.db, id, tokenId, groupId && idPattern('grp').test(groupId) ? groupId : undefined)
    }
    return c.redirect(`/admin/communities/${id}/settings`, 303)
  })
}

function Tabs(props: { communityId: string; current: string; t: ReturnType<typeof words> }) {
  const tabs = [
    ['', props.t.links],
    ['/approvals', props.t.approvals],
    ['/members', props.t.members],
    ['/announcements', props.t.announcements],
    ['/settings', props.t.settings],
  ] as const
  return (
    <nav class="tabs">
      {tabs.map(([path, label]) => (
        <a href={`/admin/communities/${props.communityId}${path}`} aria-current={props.current === path ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  )
}

/** The page cursor from the query, if it looks like one (lists are paged by id). */
function cursorOf(c: Context<AppEnv>): string | undefined {
  return PaginationQuerySchema.shape.cursor.safeParse(c.req.query('cursor')).data
}

/** A link to the next page of a list, keeping the other query parameters. */
function NextPage(props: { cursor: string | null; c: Context<AppEnv> }) {
  if (!props.cursor) return null
  const url = new URL(props.c.req.url)
  url.searchParams.set('cursor', props.cursor)
  return (
    <p>
      <a href={url.pathname + url.search}>{words(lang(props.c)).nextPage} →</a>
    </p>
  )
}

function percent(value: number): string {
  return `${Math.round(value * 1000) / 10}%`
}

dashboardApp.get('/admin/communities/:id', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanReadCommunity(c.var.principal, id)
  const community = await getCommunityOrThrow(c.var.db, id)
  const range = { from: addDays(utcDay(new Date()), -29), to: utcDay(new Date()) }
  const [groups, invites, totals, perInvite, board, rewards] = await Promise.all([
    listGroups(c.var.db, id, { limit: 100 }),
    listInvites(c.var.db, id, { limit: 100 }),
    getStats(c.var.db, { communityId: id }, range),
    statsByInvite(c.var.db, id, range),
    leaderboard(c.var.db, id, { limit: 10 }),
    listRewards(c.var.db, id, { limit: 20 }),
  ])
  const campaignLinks = invites.data.filter((invite) => !invite.referrerMemberId)
  const manage = canManageCommunity(c.var.principal, id)
  return shell(
    c,
    community.name,
    <>
      <h1>{community.name}</h1>
      <Tabs communityId={id} current="" t={t} />
      <section>
        <div class="grid">
          {(
            [
              [t.visits, totals.totals.visits],
              [t.scans, totals.totals.scans],
              [t.clicks, totals.totals.clicks],
              [t.requests, totals.totals.joinRequests],
              [t.joins, totals.totals.joins],
              [t.conversion, percent(totals.totals.conversionRate)],
            ] as const
          ).map(([label, value]) => (
            <div class="stat">
              <span class="muted">{label}</span>
              <b>{value}</b>
            </div>
          ))}
        </div>
        <FunnelChart lang={lang(c)} days={totals.byDay} />
      </section>
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
              const figures = perInvite.get(invite.id)
              return (
                <tr>
                  <td>
                    <a href={`/admin/links/${invite.id}`}>{invite.label ?? invite.code}</a>
                  </td>
                  <td>{invite.source ?? '–'}</td>
                  <td class="n">{figures?.visits ?? 0}</td>
                  <td class="n">{figures?.scans ?? 0}</td>
                  <td class="n">{figures?.joins ?? 0}</td>
                  <td class="n">{percent(figures?.conversionRate ?? 0)}</td>
                  <td>{inviteStatus(invite, new Date())}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
        {manage && (
          <form method="post" action={`/admin/communities/${id}/links`}>
            <Csrf token={await csrfTokenFor(c)} />
            <h2 style="margin-top:1rem">{t.create}</h2>
            <div class="grid">
              <div>
                <label for="label">{t.label}</label>
                <input id="label" name="label" maxlength={100} placeholder="Instagram bio" />
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
                  {groups.data
                    .filter((group) => group.kind === 'discussion')
                    .map((group) => (
                      <option value={group.id}>{group.name}</option>
                    ))}
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
      <section>
        <h2>{t.groups}</h2>
        <table>
          <tbody>
            {groups.data.map((group) => (
              <tr>
                <td>{group.name}</td>
                <td class="n">
                  {group.memberCount} / {group.memberLimit} <span class="muted">{t.limit}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t.leaderboard}</h2>
        <ol>
          {board.map((row) => (
            <li>
              {row.name}: {row.referrals}
            </li>
          ))}
        </ol>
        <h2>{t.rewards}</h2>
        <ul>
          {rewards.data.map((reward) => (
            <li>
              {reward.memberName}: {reward.title}
            </li>
          ))}
        </ul>
      </section>
    </>,
    id,
  )
})

const NewLinkForm = z.object({
  label: z.string().trim().max(100).optional(),
  source: z.string().trim().max(64).optional(),
  campaign: z.string().trim().max(64).optional(),
  groupId: z.string().regex(idPattern('grp')).optional(),
  maxUses: z.coerce.number().int().min(1).max(1_000_000).optional(),
})

dashboardApp.post('/admin/communities/:id/links', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const form = await readForm(c)
  const parsed = NewLinkForm.safeParse(
    Object.fromEntries(['label', 'source', 'campaign', 'groupId', 'maxUses'].map((key) => [key, formText(form, key)])),
  )
  if (!parsed.success) {
    throw new ApiError('validation_failed', fieldErrors(parsed.error.issues).map((e) => `${e.path}: ${e.message}`).join('; '))
  }
  const invite = await createInvite(c.var.db, id, parsed.data, new Date())
  return c.redirect(`/admin/links/${invite.id}`, 303)
})

dashboardApp.get('/admin/links/:id', async (c) => {
  const t = words(lang(c))
  const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
  assertCanReadCommunity(c.var.principal, invite.communityId)
  const community = await getCommunityOrThrow(c.var.db, invite.communityId)
  const urls = inviteUrls(c.var.config.PUBLIC_BASE_URL, invite.code)
  const stats = await getStats(c.var.db, { inviteId: invite.id }, { from: addDays(utcDay(new Date()), -29), to: utcDay(new Date()) })
  const status = inviteStatus(invite, new Date())
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    invite.label ?? invite.code,
    <>
      <p>
        <a href={`/admin/communities/${community.id}`}>← {community.name}</a>
      </p>
      <h1>{invite.label ?? invite.code}</h1>
      <section>
        <p class="code">
          <a href={urls.url}>{urls.url}</a>{' '}
          <button type="button" class="secondary" data-copy={urls.url} data-done={t.copied}>
            {t.copy}
          </button>
        </p>
        <p>
          {t.status}: <b>{status}</b>
        </p>
        {status === 'active' && (
          <>
            <img src={`/i/${invite.code}/qr.svg?size=240`} alt={`QR code for ${urls.url}`} width="240" height="240" />
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
        {canManageCommunity(c.var.principal, invite.communityId) && (
          <p>
            <form method="post" action={`/admin/links/${invite.id}/rotate`} class="inline">
              <Csrf token={csrf} />
              <button type="submit" class="secondary">
                {t.rotate}
              </button>
            </form>{' '}
            {!invite.revokedAt && (
              <form method="post" action={`/admin/links/${invite.id}/revoke`} class="inline" data-confirm={t.confirmRevoke}>
                <Csrf token={csrf} />
                <button type="submit" class="danger">
                  {t.revoke}
                </button>
              </form>
            )}
          </p>
        )}
      </section>
      <section>
        <div class="grid">
          {(
            [
              [t.visits, stats.totals.visits],
              [t.scans, stats.totals.scans],
              [t.clicks, stats.totals.clicks],
              [t.requests, stats.totals.joinRequests],
              [t.joins, stats.totals.joins],
              [t.conversion, percent(stats.totals.conversionRate)],
            ] as const
          ).map(([label, value]) => (
            <div class="stat">
              <span class="muted">{label}</span>
              <b>{value}</b>
            </div>
          ))}
        </div>
        <h2 style="margin-top:1rem">{t.byDay}</h2>
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
                      <td>{key}</td>
                      <td class="n">{visits}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </div>
      </section>
    </>,
    invite.communityId,
  )
})

for (const action of ['revoke', 'rotate'] as const) {
  dashboardApp.post(`/admin/links/:id/${action}`, async (c) => {
    const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
    assertCanManageCommunity(c.var.principal, invite.communityId)
    await (action === 'revoke' ? revokeInvite : rotateInvite)(c.var.db, invite, new Date())
    return c.redirect(`/admin/links/${invite.id}`, 303)
  })
}

dashboardApp.get('/admin/communities/:id/approvals', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const community = await getCommunityOrThrow(c.var.db, id)
  const pending = await listJoinRequests(c.var.db, id, { status: 'pending', limit: 100, cursor: cursorOf(c) })
  return shell(
    c,
    `${community.name}: ${t.approvals}`,
    <>
      <h1>{community.name}</h1>
      <Tabs communityId={id} current="/approvals" t={t} />
      <section>
        <h2>{t.approvals}</h2>
        {pending.data.length === 0 ? (
          <p class="muted">{t.noPending}</p>
        ) : (
          <form method="post" action={`/admin/communities/${id}/approvals`}>
            <Csrf token={await csrfTokenFor(c)} />
            <table>
              <thead>
                <tr>
                  <th>
                    <span class="muted">✓</span>
                  </th>
                  <th>Name</th>
                  <th>{t.answers}</th>
                  <th>{t.source}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {pending.data.map((request) => (
                  <tr>
                    <td>
                      <input type="checkbox" name="ids" value={request.id} aria-label={request.name} />
                    </td>
                    <td>
                      {request.name}
                      <div class="muted">{request.phone ?? request.email}</div>
                    </td>
                    <td>
                      {community.joinQuestions.map((question, i) => (
                        <div>
                          <span class="muted">{question}</span> {request.answers[i] ?? '–'}
                        </div>
                      ))}
                    </td>
                    <td>
                      {request.inviteLabel ?? request.inviteSource ?? '–'}
                      {request.referrerName && (
                        <div class="muted">
                          {t.referredBy} {request.referrerName}
                        </div>
                      )}
                    </td>
                    <td>
                      <button type="submit" name="only" value={`approve:${request.id}`}>
                        {t.approve}
                      </button>{' '}
                      <button type="submit" class="danger" name="only" value={`reject:${request.id}`}>
                        {t.reject}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <NextPage cursor={pending.nextCursor} c={c} />
            <label for="reason">{t.reason}</label>
            <input id="reason" name="reason" maxlength={500} style="width:100%" />
            <p>
              <button type="submit" name="action" value="approve">
                {t.approveSelected}
              </button>{' '}
              <button type="submit" class="danger" name="action" value="reject">
                {t.rejectSelected}
              </button>
            </p>
          </form>
        )}
      </section>
    </>,
    id,
  )
})

const DecisionForm = z.object({
  action: z.enum(['approve', 'reject']),
  ids: z.array(z.string().regex(idPattern('jr'))).min(1).max(100),
  reason: z.string().trim().max(500).optional(),
})

/** One decision (a row's button) or many (the checkboxes): the same services as the API. */
dashboardApp.post('/admin/communities/:id/approvals', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const form = await readForm(c)
  const only = formText(form, 'only')?.split(':')
  const ids = form.ids === undefined ? [] : ([] as unknown[]).concat(form.ids).map(String)
  const parsed = DecisionForm.safeParse({
    action: only ? only[0] : formText(form, 'action'),
    ids: only ? [only[1]] : ids,
    reason: formText(form, 'reason'),
  })
  if (!parsed.success) return c.redirect(`/admin/communities/${id}/approvals`, 303)
  let done = 0
  const problems = new Set<string>()
  for (const requestId of parsed.data.ids) {
    try {
      const request = await getJoinRequestOrThrow(c.var.db, requestId)
      if (request.communityId !== id) continue
      if (parsed.data.action === 'approve') await approveJoinRequest(c.var.db, request, new Date())
      else await rejectJoinRequest(c.var.db, request, parsed.data.reason ?? null, new Date())
      done += 1
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      problems.add(error.code)
    }
  }
  return c.redirect(`/admin/communities/${id}/approvals?decided=${done}&refused=${[...problems].join(',')}`, 303)
})

const MemberFilter = z.object({
  q: z.string().trim().max(100).optional().catch(undefined),
  groupId: z.string().regex(idPattern('grp')).optional().catch(undefined),
})

dashboardApp.get('/admin/communities/:id/members', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const community = await getCommunityOrThrow(c.var.db, id)
  const filter = MemberFilter.parse(c.req.query())
  const [groups, page] = await Promise.all([
    listGroups(c.var.db, id, { limit: 100 }),
    listMembers(c.var.db, id, { status: 'active', search: filter.q || undefined, groupId: filter.groupId, limit: 100, cursor: cursorOf(c) }),
  ])
  const groupsOf = await groupIdsOfMembers(c.var.db, page.data.map((member) => member.id))
  const groupName = new Map(groups.data.map((group) => [group.id, group.name]))
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    `${community.name}: ${t.members}`,
    <>
      <h1>{community.name}</h1>
      <Tabs communityId={id} current="/members" t={t} />
      <section>
        <form method="get">
          <div class="grid">
            <div>
              <label for="q">{t.search}</label>
              <input id="q" name="q" value={filter.q ?? ''} placeholder={t.nameOrContact} />
            </div>
            <div>
              <label for="groupId">{t.group}</label>
              <select id="groupId" name="groupId">
                <option value="">{t.all}</option>
                {groups.data.map((group) => (
                  <option value={group.id} selected={group.id === filter.groupId}>
                    {group.name}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <p>
            <button type="submit">{t.search}</button> <a href={`/admin/communities/${id}/members.csv`}>{t.exportCsv}</a>
          </p>
        </form>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>{t.token === 'API-Token' ? 'Kontakt' : 'Contact'}</th>
              <th>{t.groups}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page.data.map((member) => (
              <tr>
                <td>{member.name}</td>
                <td>{member.phone ?? member.email}</td>
                <td>{(groupsOf.get(member.id) ?? []).map((groupId) => groupName.get(groupId)).join(', ')}</td>
                <td>
                  <form method="post" action={`/admin/members/${member.id}/remove`} class="inline" data-confirm={t.confirmRemove}>
                    <Csrf token={csrf} />
                    <button type="submit" class="danger">
                      {t.remove}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <NextPage cursor={page.nextCursor} c={c} />
      </section>
    </>,
    id,
  )
})

dashboardApp.get('/admin/communities/:id/members.csv', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const community = await getCommunityOrThrow(c.var.db, id)
  return c.body(exportMembersCsv(c.var.db, id), 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${community.slug}-members.csv"`,
    'cache-control': 'private, no-store',
  })
})

dashboardApp.post('/admin/members/:id/remove', async (c) => {
  const member = await getMemberOrThrow(c.var.db, idOrThrow(z.string().regex(idPattern('mem')), c.req.param('id')))
  assertCanManageCommunity(c.var.principal, member.communityId)
  await endMembership(c.var.db, member, 'removed', new Date())
  return c.redirect(`/admin/communities/${member.communityId}/members`, 303)
})

const AnnouncementForm = z
  .object({
    body: z.string().trim().min(1).max(4096),
    audience: z.string().optional(),
    sendAt: z.string().optional(),
    timezone: TimeZoneSchema.optional(),
    cron: z.string().trim().max(100).optional(),
  })
  .transform((form, ctx) => {
    const timezone = form.timezone || 'Europe/Berlin'
    if (form.cron) return { body: form.body, audience: form.audience, repeat: { cron: form.cron, timezone }, sendAt: null }
    const local = form.sendAt ? new Date(`${form.sendAt}:00Z`) : null
    if (!local || Number.isNaN(local.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'Give a date and time, or a repeat rule', path: ['sendAt'] })
      return z.NEVER
    }
    // The form's date-time is wall-clock time in the chosen zone; find the UTC instant for it.
    // Twice: the offset at the guessed instant, not at the wall-clock time read as UTC, is the
    // one that holds around a change of clocks.
    const guess = new Date(local.getTime() - zoneOffsetMinutes(timezone, local) * 60_000)
    const sendAt = new Date(local.getTime() - zoneOffsetMinutes(timezone, guess) * 60_000)
    return { body: form.body, audience: form.audience, repeat: null, sendAt }
  })

/** How far a time zone is ahead of UTC at a moment, in minutes. */
function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(at)
    .reduce<Record<string, string>>((all, part) => ({ ...all, [part.type]: part.value }), {})
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute))
  return Math.round((asUtc - at.getTime()) / 60_000)
}

dashboardApp.get('/admin/communities/:id/announcements', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const community = await getCommunityOrThrow(c.var.db, id)
  const [groups, page] = await Promise.all([listGroups(c.var.db, id, { limit: 100 }), listAnnouncements(c.var.db, id, { limit: 100 })])
  const summaries = await Promise.all(page.data.map((announcement) => deliverySummary(c.var.db, announcement.id)))
  const cron = c.req.query('cron')?.slice(0, 100)
  const timezone = TimeZoneSchema.catch('Europe/Berlin').parse(c.req.query('timezone') || 'Europe/Berlin')
  let preview: Date[] | string = []
  if (cron) {
    try {
      preview = previewRuns({ cron, timezone }, new Date(), 5)
    } catch (error) {
      preview = error instanceof ApiError ? (error.errors?.[0]?.message ?? error.message) : 'invalid rule'
    }
  }
  const csrf = await csrfTokenFor(c)
  const when = (date: Date | null) => (date ? new Intl.DateTimeFormat(lang(c) === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: timezone }).format(date) : '–')
  return shell(
    c,
    `${community.name}: ${t.announcements}`,
    <>
      <h1>{community.name}</h1>
      <Tabs communityId={id} current="/announcements" t={t} />
      <section>
        <h2>{t.compose}</h2>
        <form method="post" action={`/admin/communities/${id}/announcements`}>
          <Csrf token={csrf} />
          <label for="body">{t.text}</label>
          <textarea id="body" name="body" rows={4} maxlength={4096} required />
          <div class="grid">
            <div>
              <label for="audience">{t.audience}</label>
              <select id="audience" name="audience">
                <option value="announcement">{t.everyone}</option>
                {groups.data
                  .filter((group) => group.kind === 'discussion')
                  .map((group) => (
                    <option value={group.id}>{group.name}</option>
                  ))}
              </select>
            </div>
            <div>
              <label for="sendAt">{t.once}</label>
              <input id="sendAt" name="sendAt" type="datetime-local" />
            </div>
            <div>
              <label for="cron">{t.repeat}</label>
              <input id="cron" name="cron" placeholder="0 9 * * 1" value={cron ?? ''} />
            </div>
            <div>
              <label for="timezone">{t.timezone}</label>
              <input id="timezone" name="timezone" value={timezone} />
            </div>
          </div>
          <p>
            <button type="submit">{t.schedule}</button>{' '}
            <button type="submit" class="secondary" formmethod="get" formaction={`/admin/communities/${id}/announcements`} formnovalidate>
              {t.preview}
            </button>
          </p>
          {typeof preview === 'string' ? (
            <p class="err">{preview}</p>
          ) : (
            preview.length > 0 && (
              <div>
                <b>{t.nextRuns}</b>
                <ul>
                  {preview.map((run) => (
                    <li>{when(run)}</li>
                  ))}
                </ul>
              </div>
            )
          )}
        </form>
      </section>
      <section>
        <h2>{t.announcements}</h2>
        <table>
          <thead>
            <tr>
              <th>{t.text}</th>
              <th>{t.status}</th>
              <th class="n">{t.delivered}</th>
              <th class="n">{t.failed}</th>
              <th class="n">{t.queued}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page.data.map((announcement, i) => (
              <tr>
                <td>
                  {announcement.body.slice(0, 80)}
                  <div class="muted">
                    {announcement.repeatCron ? `${announcement.repeatCron} (${announcement.repeatTimezone})` : ''} {when(announcement.sendAt)}
                  </div>
                </td>
                <td>{announcement.status}</td>
                <td class="n">{summaries[i]!.totals.sent}</td>
                <td class="n">{summaries[i]!.totals.failed}</td>
                <td class="n">{summaries[i]!.totals.queued}</td>
                <td>
                  {announcement.status === 'scheduled' && (
                    <>
                      <form method="post" action={`/admin/announcements/${announcement.id}/send-now`} class="inline">
                        <Csrf token={csrf} />
                        <button type="submit">{t.sendNow}</button>
                      </form>{' '}
                      <form method="post" action={`/admin/announcements/${announcement.id}/cancel`} class="inline">
                        <Csrf token={csrf} />
                        <button type="submit" class="danger">
                          {t.cancel}
                        </button>
                      </form>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>,
    id,
  )
})

dashboardApp.post('/admin/communities/:id/announcements', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCanManageCommunity(c.var.principal, id)
  const form = await readForm(c)
  const parsed = AnnouncementForm.safeParse(
    Object.fromEntries(['body', 'audience', 'sendAt', 'timezone', 'cron'].map((key) => [key, formText(form, key)])),
  )
  if (!parsed.success) {
    throw new ApiError('validation_failed', fieldErrors(parsed.error.issues).map((e) => `${e.path}: ${e.message}`).join('; '))
  }
  const { body, audience, repeat, sendAt } = parsed.data
  if (sendAt && sendAt.getTime() < Date.now() - 60_000) throw new ApiError('validation_failed', 'The time is in the past.')
  await createAnnouncement(
    c.var.db,
    id,
    { body, groupIds: audience && audience !== 'announcement' ? [idOrThrow(z.string().regex(idPattern('grp')), audience)] : null, sendAt, repeat },
    new Date(),
  )
  return c.redirect(`/admin/communities/${id}/announcements`, 303)
})

for (const action of ['send-now', 'cancel'] as const) {
  dashboardApp.post(`/admin/announcements/:id/${action}`, async (c) => {
    const announcement = await getAnnouncementOrThrow(c.var.db, idOrThrow(z.string().regex(idPattern('ann')), c.req.param('id')))
    assertCanManageCommunity(c.var.principal, announcement.communityId)
    await (action === 'send-now' ? sendAnnouncementNow : cancelAnnouncement)(c.var.db, announcement, new Date())
    return c.redirect(`/admin/communities/${announcement.communityId}/announcements`, 303)
  })
}

async function webhooksPage(c: Context<AppEnv>, secret?: { url: string; value: string }) {
  const t = words(lang(c))
  const principal = c.var.principal
  if (!isOwner(principal)) assertCanManageCommunity(principal, principal.communityId ?? '')
  const [endpoints, communities] = await Promise.all([
    listWebhookEndpoints(c.var.db, isOwner(principal) ? null : principal.communityId),
    listCommunities(c.var.db, principal, { limit: 100 }),
  ])
  const logs = await Promise.all(endpoints.map((endpoint) => recentWebhookDeliveries(c.var.db, endpoint.id, 10)))
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    t.webhooks,
    <>
      <h1>{t.webhooks}</h1>
      {secret && (
        <section class="ok" role="status">
          <p>
            {secret.url} · {t.secretOnce}
          </p>
          <p class="code">{secret.value}</p>
        </section>
      )}
      {endpoints.map((endpoint, i) => (
        <section>
          <h2 class="code">{endpoint.url}</h2>
          <p class="muted">{endpoint.events.join(', ')}</p>
          <table>
            <tbody>
              {logs[i]!.map((row) => (
                <tr>
                  <td>{row.type}</td>
                  <td>{row.status}</td>
                  <td class="n">{row.responseStatus ?? '–'}</td>
                  <td class="muted">{row.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <section>
        <form method="post" action="/admin/webhooks">
          <Csrf token={csrf} />
          <label for="url">{t.endpoint}</label>
          <input id="url" name="url" type="url" required style="width:100%" placeholder="https://" />
          <label for="communityId">{t.communities}</label>
          <select id="communityId" name="communityId">
            {isOwner(principal) && <option value="">{t.all}</option>}
            {communities.data.map((community) => (
              <option value={community.id}>{community.name}</option>
            ))}
          </select>
          <fieldset>
            <legend>{t.events}</legend>
            {EVENT_TYPES.map((type) => (
              <label class="muted" style="font-weight:400">
                <input type="checkbox" name="events" value={type} checked /> {type}
              </label>
            ))}
          </fieldset>
          <p>
            <button type="submit">{t.create}</button>
          </p>
        </form>
      </section>
    </>,
  )
}

dashboardApp.get('/admin/webhooks', (c) => webhooksPage(c))

/** The endpoint's secret is on the answer to this POST only (no redirect): shown once. */
dashboardApp.post('/admin/webhooks', async (c) => {
  const form = await readForm(c)
  const parsed = CreateWebhookSchema.safeParse({
    url: formText(form, 'url'),
    events: form.events === undefined ? [] : ([] as unknown[]).concat(form.events).map(String),
    communityId: formText(form, 'communityId'),
  })
  if (!parsed.success) refuse(parsed.error.issues)
  if (parsed.data.communityId) assertCanManageCommunity(c.var.principal, parsed.data.communityId)
  else assertOwner(c.var.principal)
  const { secret } = await createWebhookEndpoint(
    c.var.db,
    { url: parsed.data.url, events: parsed.data.events, communityId: parsed.data.communityId ?? null },
    { signingSecret: signingSecret(c.var.config), allowHttp: c.var.config.ALLOW_HTTP_WEBHOOKS },
    new Date(),
  )
  return webhooksPage(c, { url: parsed.data.url, value: secret })
})
