import { OpenAPIHono } from '@hono/zod-openapi'
import { decodeBase64 } from 'hono/utils/encode'
import type { AppEnv } from '../env'
import { getQrDesign } from '../services/qr-designs'
import { idParam } from '../schemas/common'
import { QrDesignSchema, serializeQrDesign } from '../schemas/invites'
import {
  bearerSecurity,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  RESOURCE_PROBLEMS,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'

/** A link's QR design, read on its own; it is changed with the link (`PATCH`, `qrDesign`). */
export const inviteQrDesignApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(inviteQrDesignApi)

const InviteParams = idParam('inv')

openapi(
  defineOperation({
    method: 'get',
    path: '/invites/{id}/qr-design',
    operationId: 'getInviteQrDesign',
    access: { action: 'invites.read', on: 'invite' },
    tags: ['Invite links'],
    summary: 'Read the design a link’s QR codes are drawn in',
    description:
      'Colours, margin, error correction, module style and whether a logo is set. A link never ' +
      'designed answers black on white. Change it with `PATCH /invites/{id}` and `qrDesign`.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams },
    responses: {
      200: jsonResponse(QrDesignSchema, 'The design'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    return c.json(serializeQrDesign(await getQrDesign(c.var.db, c.var.invite.id)), 200)
  },
)

/** A logo sent base64-encoded, as bytes; `null` and left out pass through. */
export function logoBytes(logoPng: string | null | undefined): Uint8Array | null | undefined {
  if (logoPng === undefined || logoPng === null) return logoPng
  return decodeBase64(logoPng)
}
