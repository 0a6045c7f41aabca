import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { communityFor } from '../../api/community-scope'
import { signInLinkUrl } from '../../api/team'
import { ApiError, notFound } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { TEAM_WORDS } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { auditDetail, auditLater, auditTarget } from '../../middleware/audit-trail'
import { csrfTokenFor, signIn } from '../../middleware/dashboard-session'
import { cspNonce } from '../../middleware/security-headers'
import { CreateTeamInvitationSchema, UpdateTeammateSchema } from '../../schemas/team'
import { assertCan, can } from '../../services/access'
import { communityOf, communityQuery, getCommunityOrThrow } from '../../services/communities'
import { toPage } from '../../lib/pagination'
import { listGroupsQuery } from '../../services/groups'
import {
  acceptInvitation,
  createInvitation,
  createSignInLink,
  findOpenInvitation,
  getPendingInvitationOrThrow,
  linkMakerOf,
  listPendingInvitationsQuery,
  listTeamQuery,
  teamMakersQuery,
  revokeInvitation,
} from '../../services/team'
import { setTeammateEmail } from '../../services/team-emails'
import { getTeammateOrThrow, principalOf, revokeToken } from '../../services/tokens'
import { AcceptGonePage, AcceptPage, TeamPage, type ShownLink } from '../../views/dashboard/team'
import type { FormState } from '../../views/form-fields'
import type { TeamInvitation } from '../../db/schema'
import {
  CommunityId,
  communityShell,
  cursorOf,
  formString,
  idOrThrow,
  inLanguage,
  lang,
  nextPageHref,
} from './page'

/**
 * A community's team: who has access and when they last used it, one-time sign-in links for new
 * teammates (and fresh ones for those whose session ended), revoking either; and the page a
 * sign-in link opens. Nobody sees or pastes a token: the link creates one behind the scenes.
 */
export const teamPages = new Hono<AppEnv>()

const TokenId = z.string().regex(idPattern('tok'))
const InvitationId = z.string().regex(idPattern('tin'))

function teamWords(c: Context<AppEnv>) {
  return TEAM_WORDS[lang(c)]
}

function inviteFormValues(form: Record<string, unknown>) {
  const text = (key: string) => formString(form, key) ?? ''
  return { name: text('name'), email: text('email'), role: text('role'), groupId: text('groupId') }
}

teamPages.get('/admin/communities/:id/team', (c) =>
  teamPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

async function teamPage(
  c: Context<AppEnv>,
  id: string,
  extra: {
    shown?: ShownLink
    form?: FormState
    notice?: string
    emailRefused?: { tokenId: string; sent: string; message: string }
  } = {},
) {
  assertCan(c.var.principal, 'team.read', { communityId: id }, 'Community')
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const teamPage = { cursor: cursorOf(c, 'tok'), limit: 100 }
  const [communityRows, teamRows, makers, pendingRows, groupRows] = await db.batch([
    communityQuery(db, id),
    listTeamQuery(db, id, teamPage),
    teamMakersQuery(db, id, teamPage),
    listPendingInvitationsQuery(db, id, new Date(), { limit: 100 }),
    listGroupsQuery(db, id, { limit: 100 }),
  ])
  const community = communityOf(communityRows)
  const [team, pending, groups] = [
    toPage(teamRows, 100),
    toPage(pendingRows, 100),
    toPage(groupRows, 100),
  ]
  return communityShell(
    c,
    community,
    '/team',
    `${community.name}: ${teamWords(c).team}`,
    <TeamPage
      lang={lang(c)}
      communityId={id}
      timeZone={community.timeZone}
      csrf={await csrfTokenFor(c)}
      manage={can(c.var.principal, 'team.manage', { communityId: id })}
      team={team.data}
      makers={new Map(makers.map((maker) => [maker.id, maker.name]))}
      nextHref={nextPageHref(c, team.nextCursor)}
      pending={pending.data}
      groups={groups.data}
      changeAdmins={can(c.var.principal, 'admins.change', { communityId: id })}
      actionPath={(path) => inLanguage(c, path)}
      {...extra}
    />,
    extra.form || extra.emailRefused ? 400 : 200,
  )
}

teamPages.post('/admin/communities/:id/team/invitations', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'team.manage')
  const values = inviteFormValues(await readForm(c))
  const parsed = CreateTeamInvitationSchema.safeParse({
    name: values.name,
    ...(values.email.trim() ? { email: values.email } : {}),
    role: values.role,
    ...(values.role === 'group_admin' ? { groupId: values.groupId } : {}),
  })
  if (!parsed.success) {
    const errors = fieldMessages(lang(c), parsed.error.issues, {
      groupId: teamWords(c).groupMissing,
      email: teamWords(c).emailInvalid,
    })
    return teamPage(c, id, { form: { values, errors } })
  }
  const now = new Date()
  try {
    const { secret, invitation } = await createInvitation(
      c.var.db,
      id,
      parsed.data,
      c.var.principal,
      now,
    )
    auditTarget(c, invitation.id)
    auditDetail(c, invitation.role)
    return teamPage(c, id, { shown: shownLink(c, secret, invitation) })
  } catch (error) {
    if (error instanceof ApiError && error.code === 'validation_failed') {
      // A group of another community (a crafted form) is refused like a missing one.
      const emailTaken = error.errors?.some((problem) => problem.path === 'email')
      const errors: Record<string, string> = emailTaken
        ? { email: teamWords(c).emailTaken }
        : { groupId: teamWords(c).groupMissing }
      return teamPage(c, id, { form: { values, errors } })
    }
    throw error
  }
})

function shownLink(c: Context<AppEnv>, secret: string, invitation: TeamInvitation): ShownLink {
  return {
    name: invitation.name,
    url: signInLinkUrl(c.var.config.PUBLIC_BASE_URL, secret),
    expiresAt: invitation.expiresAt,
  }
}

teamPages.post('/admin/communities/:id/team/:tokenId/link', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const tokenId = idOrThrow(TokenId, c.req.param('tokenId'))
  await communityFor(c, id, 'team.manage')
  const { secret, invitation } = await createSignInLink(
    c.var.db,
    id,
    tokenId,
    c.var.principal,
    new Date(),
  )
  return teamPage(c, id, { shown: shownLink(c, secret, invitation) })
})

/** Sets or clears the address a teammate signs in with through Cloudflare Access. */
teamPages.post('/admin/communities/:id/team/:tokenId/email', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const tokenId = idOrThrow(TokenId, c.req.param('tokenId'))
  await communityFor(c, id, 'team.manage')
  const token = await getTeammateOrThrow(c.var.db, id, tokenId)
  const sent = formString(await readForm(c), 'email')
  // The form always sends the field, empty to remove the address: without it, nothing to do.
  if (sent === undefined) throw new ApiError('bad_request', 'The field email is missing.')
  const text = sent.trim()
  const parsed = UpdateTeammateSchema.safeParse({ email: text === '' ? null : text })
  const refused = (message: string) =>
    teamPage(c, id, { emailRefused: { tokenId: token.id, sent: text, message } })
  if (!parsed.success) return refused(teamWords(c).emailInvalid)
  try {
    await setTeammateEmail(c.var.db, token, parsed.data.email, c.var.principal, new Date())
  } catch (error) {
    if (error instanceof ApiError && error.code === 'validation_failed') {
      return refused(teamWords(c).emailTaken)
    }
    throw error
  }
  return teamPage(c, id, { notice: teamWords(c).emailSavedNotice })
})

teamPages.post('/admin/communities/:id/team/:tokenId/revoke', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const tokenId = idOrThrow(TokenId, c.req.param('tokenId'))
  await communityFor(c, id, 'team.manage')
  const token = await getTeammateOrThrow(c.var.db, id, tokenId)
  await revokeToken(c.var.db, token.id, new Date())
  // Revoking oneself ends this very session: the sign-in page is where that leads.
  if (token.id === c.var.principal.tokenId) return c.redirect('/admin/login', 303)
  return teamPage(c, id, { notice: teamWords(c).accessRevokedNotice })
})

teamPages.post('/admin/communities/:id/team/invitations/:invitationId/revoke', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const invitationId = idOrThrow(InvitationId, c.req.param('invitationId'))
  await communityFor(c, id, 'team.manage')
  const now = new Date()
  const invitation = await getPendingInvitationOrThrow(c.var.db, invitationId, now)
  if (invitation.communityId !== id) throw notFound('Invitation')
  await revokeInvitation(c.var.db, invitation.id, now)
  return teamPage(c, id, { notice: teamWords(c).linkRevokedNotice })
})

/** The path a sign-in link opens; outside the session check, as its holder has none yet. */
export const ACCEPT_PATH = /^\/admin\/accept\/[A-Za-z0-9_-]{1,100}$/

/**
 * What a sign-in link opens: a page that says what it does and asks to confirm. Only the POST
 * uses the link, so a mail client's link scanner that opens it does not use it up.
 */
teamPages.get('/admin/accept/:secret', async (c) => {
  const invitation = await findOpenInvitation(c.var.db, c.req.param('secret'), new Date())
  if (!invitation) return gonePage(c)
  const community = await getCommunityOrThrow(c.var.db, invitation.communityId)
  return c.html(
    <AcceptPage
      lang={lang(c)}
      nonce={cspNonce(c)}
      action={inLanguage(c, c.req.path)}
      invitation={invitation}
      communityName={community.name}
    />,
  )
})

teamPages.post('/admin/accept/:secret', async (c) => {
  const accepted = await acceptInvitation(c.var.db, c.req.param('secret'), new Date())
  if (!accepted) return gonePage(c)
  const { invitation, token } = accepted
  // Whoever made the link could have used it: the session's entries in the audit log say so.
  const principal = { ...principalOf(token), ...linkMakerOf(invitation, token) }
  await signIn(c, principal)
  if (accepted.created) {
    auditLater(c, {
      communityId: invitation.communityId,
      action: 'teammate.joined',
      actor: principal,
      targetId: token.id,
    })
  }
  return c.redirect(inLanguage(c, `/admin/communities/${invitation.communityId}`), 303)
})

function gonePage(c: Context<AppEnv>) {
  return c.html(<AcceptGonePage lang={lang(c)} nonce={cspNonce(c)} />, 410)
}
