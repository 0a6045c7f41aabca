import { auditDetail } from '../middleware/audit-trail'
import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { csvDownloadHeaders } from '../lib/csv'
import { pageSchema, paginationQuery } from '../lib/pagination'
import { exportAuditCsv, listAudit } from '../services/audit'
import {
  createInvitation,
  listPendingInvitations,
  listTeam,
  revokeInvitation,
} from '../services/team'
import { setTeammateEmail } from '../services/team-emails'
import { idParam } from '../schemas/common'
import {
  AuditEntrySchema,
  AuditQuerySchema,
  CreatedTeamInvitationSchema,
  CreateTeamInvitationSchema,
  serializeAuditEntry,
  serializeInvitation,
  serializeTeammate,
  TeamInvitationSchema,
  TeammateSchema,
  UpdateTeammateSchema,
} from '../schemas/team'
import { declaredOperations, defineOperation } from './operation'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  RESOURCE_PROBLEMS,
} from './openapi'

/** A community's team (who has access, sign-in links for new teammates) and its audit log. */
export const teamApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(teamApi)

const tags = ['Team']
const CommunityParams = idParam('cmt')
const InvitationParams = idParam('tin')
const TokenParams = idParam('tok')

/** The link a teammate opens; its path is the dashboard's (src/pages/dashboard/team.tsx). */
export function signInLinkUrl(baseUrl: string, secret: string): string {
  return `${baseUrl}/admin/accept/${secret}`
}

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/team-invitations',
    operationId: 'createTeamInvitation',
    access: { action: 'team.manage', on: 'community' },
    tags,
    summary: 'Invite a teammate with a one-time sign-in link',
    description:
      'Creates a sign-in link for a community admin or an admin of one of its groups. The link ' +
      '(`url`) is in this answer only; it works once, for 72 hours, and signs its holder in to the ' +
      'dashboard with a token of the role given, without anyone seeing the token.',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: CommunityParams,
      body: jsonBody(CreateTeamInvitationSchema),
    },
    responses: {
      201: jsonResponse(CreatedTeamInvitationSchema, 'The invitation, with its link shown once'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS], {
        rules: {
          groupId: 'A group of this community',
          email: 'An e-mail address, not on another live teammate of the community',
        },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const input = c.req.valid('json')
    const { secret, invitation } = await createInvitation(
      c.var.db,
      id,
      input,
      c.var.principal,
      new Date(),
    )
    const url = signInLinkUrl(c.var.config.PUBLIC_BASE_URL, secret)
    auditDetail(c, invitation.role)
    return c.json({ ...serializeInvitation(invitation), url }, 201)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/team-invitations',
    operationId: 'listTeamInvitations',
    access: { action: 'team.read', on: 'community' },
    tags,
    summary: 'Sign-in links not yet used, revoked or expired',
    security: bearerSecurity,
    request: { params: CommunityParams, query: paginationQuery('tin') },
    responses: {
      200: jsonResponse(pageSchema(TeamInvitationSchema), 'A page of invitations, newest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listPendingInvitations(c.var.db, id, new Date(), c.req.valid('query'))
    return c.json({ data: page.data.map(serializeInvitation), nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/team-invitations/{id}',
    operationId: 'revokeTeamInvitation',
    access: { action: 'team.manage', on: 'teamInvitation' },
    tags,
    summary: 'Revoke a sign-in link before it is used',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InvitationParams },
    responses: {
      204: { description: 'Revoked: the link no longer works' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS], {
        notes: { not_found: 'No pending invitation with this id: used, revoked or expired.' },
      }),
    },
  }),
  async (c) => {
    await revokeInvitation(c.var.db, c.var.teamInvitation.id, new Date())
    return c.body(null, 204)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/team',
    operationId: 'listTeam',
    access: { action: 'team.read', on: 'community' },
    tags,
    summary: 'Who has access to a community, and when they last used it',
    description:
      'The community’s live tokens: its admins and the admins of its groups. Revoke one with ' +
      '`DELETE /api/tokens/{id}`; that also ends its dashboard sessions.',
    security: bearerSecurity,
    request: { params: CommunityParams, query: paginationQuery('tok') },
    responses: {
      200: jsonResponse(pageSchema(TeammateSchema), 'A page of everyone with access, oldest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listTeam(c.var.db, id, c.req.valid('query'))
    return c.json({ data: page.data.map(serializeTeammate), nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'patch',
    path: '/tokens/{id}',
    operationId: 'updateTeammate',
    access: { action: 'team.manage', on: 'token' },
    tags,
    summary: 'Set the e-mail address a teammate signs in with through Cloudflare Access',
    description:
      'Behind Cloudflare Access (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`), a teammate whose identity ' +
      'provider vouches for this address is signed in to the dashboard as this token. One live ' +
      'token per address and community; owner tokens sign in with their secret only.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: TokenParams, body: jsonBody(UpdateTeammateSchema) },
    responses: {
      200: jsonResponse(TeammateSchema, 'The teammate, with the address'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS], {
        rules: {
          email:
            'An e-mail address, not on another live token of the community; not for owner tokens',
        },
      }),
    },
  }),
  async (c) => {
    const { email } = c.req.valid('json')
    const token = await setTeammateEmail(c.var.db, c.var.token, email, c.var.principal, new Date())
    return c.json(serializeTeammate(token), 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/audit-log',
    operationId: 'listAuditLog',
    access: { action: 'audit.read', on: 'community' },
    tags,
    summary: 'Who changed what in a community, and when',
    description:
      'Approvals, rejections, removals, announcements sent and cancelled, links and settings ' +
      'changed, teammates invited and revoked; newest first. Entries are kept for ' +
      '`AUDIT_RETENTION_DAYS`.',
    security: bearerSecurity,
    request: { params: CommunityParams, query: AuditQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(AuditEntrySchema), 'A page of entries, newest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listAudit(c.var.db, id, c.req.valid('query'))
    return c.json({ data: page.data.map(serializeAuditEntry), nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/audit-log.csv',
    operationId: 'exportAuditLogCsv',
    access: { action: 'audit.read', on: 'community' },
    tags,
    summary: 'Export a community’s audit log as CSV, newest first',
    security: bearerSecurity,
    request: { params: CommunityParams, query: AuditQuerySchema.pick({ action: true }) },
    responses: {
      200: { content: { 'text/csv': { schema: z.string() } }, description: 'The entries' },
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const { community } = c.var
    return c.body(
      exportAuditCsv(c.var.db, id, c.req.valid('query').action),
      200,
      csvDownloadHeaders(`${community.slug}-audit-log.csv`),
    )
  },
)
