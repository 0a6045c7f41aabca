import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { duplicateInvite, setInviteArchived } from '../services/invites'
import { idParam } from '../schemas/common'
import { DuplicateInviteSchema, InviteSchema, serializeInvite } from '../schemas/invites'
import { telegramLinkForNewInvite } from './telegram'
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
import { declaredOperations, defineOperation } from './operation'
import { answerOf } from '../middleware/audit-trail'

/** What a marketer does to a link besides editing it: archive, restore, duplicate. */
export const inviteActionsApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(inviteActionsApi)

const tags = ['Invite links']
const InviteParams = idParam('inv')

for (const archived of [true, false]) {
  openapi(
    defineOperation({
      method: 'post',
      path: archived ? '/invites/{id}/archive' : '/invites/{id}/restore',
      operationId: archived ? 'archiveInvite' : 'restoreInvite',
      access: { action: 'invites.manage', on: 'invite' },
      tags,
      summary: archived
        ? 'Archive a link: hidden from the list, refusing joins, restorable'
        : 'Restore an archived link: it is listed and works again',
      description: archived
        ? 'The link keeps its code and its figures; its page and QR codes answer 410 until it ' +
          'is restored, and its Telegram link is revoked. Archiving an archived link changes ' +
          'nothing.'
        : 'A link that is also revoked, expired or used up stays so. On a group on Telegram it ' +
          'gets a new Telegram link. Restoring a link that is not archived changes nothing.',
      security: bearerSecurity,
      request: { query: NoQuerySchema, params: InviteParams },
      responses: {
        200: jsonResponse(InviteSchema, archived ? 'The archived link' : 'The restored link'),
        ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
      },
    }),
    async (c) => {
      const now = new Date()
      const { invite } = c.var
      const changed = answerOf(c, invite, await setInviteArchived(c.var.db, invite, archived, now))
      return c.json(serializeInvite(changed, c.var.config.PUBLIC_BASE_URL, now), 200)
    },
  )
}

openapi(
  defineOperation({
    method: 'post',
    path: '/invites/{id}/duplicate',
    operationId: 'duplicateInvite',
    access: { action: 'invites.manage', on: 'invite' },
    tags,
    summary: 'Copy a link for another channel: same settings, its own source and code',
    description:
      'The copy has the label (unless another is given), group, medium, campaign, maximum uses ' +
      'and expiry (if still ahead) and QR design of the original, the `source` given, no uses yet and a new ' +
      'code: random, or the custom `code` asked for.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams, body: jsonBody(DuplicateInviteSchema) },
    responses: {
      201: jsonResponse(InviteSchema, 'The new link'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'code_taken']),
    },
  }),
  async (c) => {
    const now = new Date()
    const copy = await duplicateInvite(c.var.db, c.var.invite, c.req.valid('json'), now)
    // A copy on a Telegram group gets the chat's own link, as a new link does.
    const telegram = await telegramLinkForNewInvite(c, copy, now)
    return c.json(serializeInvite(copy, c.var.config.PUBLIC_BASE_URL, now, telegram), 201)
  },
)
