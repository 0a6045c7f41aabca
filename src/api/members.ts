import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { paginationQuery, pageSchema } from '../lib/pagination'
import { endMembership } from '../services/leaving'
import { eraseMember } from '../services/erasure'
import { listInboundMessages } from '../services/whatsapp-inbound'
import { exportMembersCsv, groupIdsOfMembers, leaderboard, listMembers } from '../services/members'
import {
  createRewardRule,
  listRewardRules,
  listRewards,
  MAX_REWARD_RULES,
  retireRewardRule,
} from '../services/rewards'
import { idParam } from '../schemas/common'
import {
  CreateRewardRuleSchema,
  LeaderboardQuerySchema,
  LeaderboardSchema,
  MemberQuerySchema,
  MemberSchema,
  memberFilterOf,
  RewardRuleSchema,
  RewardSchema,
  serializeMember,
  serializeRewardRule,
} from '../schemas/members'
import { addDays } from '../lib/time'
import { notFound } from '../lib/errors'
import { telegramConfig } from '../lib/config'
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
import { csvDownloadHeaders } from '../lib/csv'
import { declaredOperations, defineOperation } from './operation'

export const membersApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(membersApi)

const CommunityParams = idParam('cmt')
const RewardRuleParams = CommunityParams.extend(idParam('rwr', 'ruleId').shape)
const MemberParams = idParam('mem')

const InboundMessageSchema = z
  .object({
    id: z.string(),
    memberId: z.string().nullable(),
    memberName: z.string().nullable(),
    text: z.string(),
    receivedAt: z.string(),
  })
  .openapi('InboundMessage')

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/messages',
    operationId: 'listInboundMessages',
    access: { action: 'members.read', on: 'community' },
    tags: ['Members'],
    summary: 'What members wrote to the WhatsApp business number (other than commands and codes)',
    security: bearerSecurity,
    request: { params: CommunityParams, query: paginationQuery('msg') },
    responses: {
      200: jsonResponse(pageSchema(InboundMessageSchema), 'A page of messages, newest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listInboundMessages(c.var.db, id, c.req.valid('query'))
    const data = page.data.map((row) => ({ ...row, receivedAt: row.receivedAt.toISOString() }))
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/members',
    operationId: 'listMembers',
    access: { action: 'members.read', on: 'community' },
    tags: ['Members'],
    summary: 'A community’s members, with contact details (admins only)',
    security: bearerSecurity,
    request: {
      params: CommunityParams,
      query: paginationQuery('mem').extend(MemberQuerySchema.shape),
    },
    responses: {
      200: jsonResponse(pageSchema(MemberSchema), 'A page of members, oldest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const { limit, cursor, ...query } = c.req.valid('query')
    const page = await listMembers(c.var.db, id, { limit, cursor, ...memberFilterOf(query) })
    const groupsOf = await groupIdsOfMembers(
      c.var.db,
      page.data.map((member) => member.id),
    )
    const telegram = telegramConfig(c.var.config) !== null
    const data = page.data.map((member) =>
      serializeMember(member, groupsOf.get(member.id) ?? [], telegram),
    )
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/members.csv',
    operationId: 'exportMembersCsv',
    access: { action: 'members.read', on: 'community' },
    tags: ['Members'],
    summary: 'Export members as CSV: all of them, or those the query takes, as the list does',
    security: bearerSecurity,
    request: { query: MemberQuerySchema, params: CommunityParams },
    responses: {
      200: { content: { 'text/csv': { schema: z.string() } }, description: 'The members' },
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const { community } = c.var
    return c.body(
      exportMembersCsv(c.var.db, id, {
        telegram: telegramConfig(c.var.config) !== null,
        filter: memberFilterOf(c.req.valid('query')),
      }),
      200,
      csvDownloadHeaders(`${community.slug}-members.csv`),
    )
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/members/{id}',
    operationId: 'removeMember',
    access: { action: 'members.remove', on: 'member' },
    tags: ['Members'],
    summary: 'Take a member off the member list: no more messages, referral link revoked',
    description:
      'Ends the membership for good: out of the member list and the groups’ counts, no more announcements, their referral link revoked, `member.left` with `reason: "removed"`. It cannot take anyone out of a WhatsApp group or community: the platform sees up to the chat link only, so remove them there in WhatsApp.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: MemberParams },
    responses: {
      204: { description: 'Removed' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    await endMembership(c.var.db, c.var.member, 'removed', new Date())
    return c.body(null, 204)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/members/{id}/erase',
    operationId: 'eraseMember',
    access: { action: 'members.remove', on: 'member' },
    tags: ['Members'],
    summary: 'Erase a member’s personal data, on their request',
    description:
      'For a request to erase (GDPR Art. 17): ends the membership as a removal does (`member.left` with `reason: "removed"`, naming only the id), then deletes the member with their name, phone, e-mail and consent record, their sign-ups and answers, the messages they sent, their rewards, and every outbox event naming them or their sign-ups. Past announcements keep a delivery row naming only the member id. This cannot be undone, and, like removal, cannot take anyone out of a WhatsApp group.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: MemberParams },
    responses: {
      204: { description: 'Erased' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    await eraseMember(c.var.db, c.var.member, new Date())
    return c.body(null, 204)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/leaderboard',
    operationId: 'getReferralLeaderboard',
    access: { action: 'referrals.read', on: 'community' },
    tags: ['Referrals'],
    summary: 'Referrers ranked by approved referrals, all time or in a period',
    security: bearerSecurity,
    request: { params: CommunityParams, query: LeaderboardQuerySchema },
    responses: {
      200: jsonResponse(LeaderboardSchema, 'The ranking'),
      ...problemResponses([...RESOURCE_PROBLEMS], {
        rules: { from: 'Not after `to`' },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const { from, to, limit } = c.req.valid('query')
    const rows = await leaderboard(c.var.db, id, {
      from: from ? new Date(`${from}T00:00:00Z`) : undefined,
      to: to ? new Date(`${addDays(to, 1)}T00:00:00Z`) : undefined,
      limit,
    })
    return c.json({ data: rows.map((row, i) => ({ rank: i + 1, ...row })) }, 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/reward-rules',
    operationId: 'createRewardRule',
    access: { action: 'referrals.manage', on: 'community' },
    tags: ['Referrals'],
    summary: 'Add a reward for reaching a number of approved referrals',
    description: `A community holds up to ${MAX_REWARD_RULES} rules; one more is refused with 409 \`reward_rule_limit_reached\`.`,
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: CommunityParams,
      body: jsonBody(CreateRewardRuleSchema),
    },
    responses: {
      201: jsonResponse(RewardRuleSchema, 'The rule'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'reward_rule_limit_reached']),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const rule = await createRewardRule(c.var.db, id, c.req.valid('json'), new Date())
    return c.json(serializeRewardRule(rule), 201)
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/communities/{id}/reward-rules/{ruleId}',
    operationId: 'retireRewardRule',
    access: { action: 'referrals.manage', on: 'community' },
    tags: ['Referrals'],
    summary: 'Retire a reward rule: it grants nothing more; rewards earned by it stay',
    description:
      'The rule leaves the list and no member is offered it any more; members who earned its ' +
      'reward keep it, with its code, on their status page and in `GET …/rewards`. A rule ' +
      'retired already answers 404.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: RewardRuleParams },
    responses: {
      204: { description: 'Retired' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id, ruleId } = c.req.valid('param')
    if ((await retireRewardRule(c.var.db, id, ruleId, new Date())) === 'retired before')
      throw notFound('Reward rule')
    return c.body(null, 204)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/reward-rules',
    operationId: 'listRewardRules',
    access: { action: 'referrals.read', on: 'community' },
    tags: ['Referrals'],
    summary: 'The community’s live reward rules, lowest threshold first',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams },
    responses: {
      200: jsonResponse(z.object({ data: z.array(RewardRuleSchema) }), 'The rules'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const rules = await listRewardRules(c.var.db, id)
    return c.json({ data: rules.map(serializeRewardRule) }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/rewards',
    operationId: 'listRewards',
    access: { action: 'referrals.read', on: 'community' },
    tags: ['Referrals'],
    summary: 'Rewards earned by the community’s referrers',
    security: bearerSecurity,
    request: { params: CommunityParams, query: paginationQuery('rwd') },
    responses: {
      200: jsonResponse(pageSchema(RewardSchema), 'A page of rewards'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listRewards(c.var.db, id, c.req.valid('query'))
    const data = page.data.map((reward) => ({ ...reward, earnedAt: reward.earnedAt.toISOString() }))
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)
