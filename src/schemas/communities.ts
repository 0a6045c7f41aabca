import { z } from '@hono/zod-openapi'
import { CONSENT_MODES, VISIBILITIES, type Community } from '../db/schema'
import { MAX_GROUPS_PER_COMMUNITY, MAX_JOIN_QUESTIONS } from '../lib/limits'
import {
  DescriptionSchema,
  HttpsUrlSchema,
  NameSchema,
  SlugSchema,
  TimestampSchema,
  TimeZoneSchema,
  userText,
} from './common'

const ConsentModeSchema = z
  .enum(CONSENT_MODES)
  .describe(
    'How a sign-up proves consent: `double` asks the owner of the number or address to confirm; `single` takes the form as it is',
  )

/** What members get for being members, shown to them alone. */
const MemberOfferSchema = userText(1000, { multiline: true })
  .transform((text) => text || null)
  .describe(
    'What members get for being members (a discount code, early tickets): shown to each member with their own links (the status page, the page their e-mailed link opens, and the join’s answer where it carries their links), never on the public pages. Empty or null: no offer',
  )

const JoinQuestionsSchema = z
  .array(userText(200, { required: true }))
  .max(MAX_JOIN_QUESTIONS)
  .describe('Questions a person answers when asking to join a closed community')

export const CreateCommunitySchema = z
  .strictObject({
    name: NameSchema.openapi({ example: 'Berlin Runners' }),
    description: DescriptionSchema.describe('The community’s purpose, shown on its landing page'),
    visibility: z
      .enum(VISIBILITIES)
      .describe('`open`: anyone with a link joins at once; `closed`: an admin approves each join'),
    slug: SlugSchema.optional().describe('Derived from the name when not given'),
    photoUrl: HttpsUrlSchema.nullable().optional(),
    joinQuestions: JoinQuestionsSchema.optional(),
    maxGroups: z.number().int().min(1).max(MAX_GROUPS_PER_COMMUNITY).optional(),
    consent: ConsentModeSchema.optional().describe(
      '`double` (the default): a sign-up counts only once the owner of the number or address confirms it; `single`: the form is enough',
    ),
    timeZone: TimeZoneSchema.optional().describe(
      'IANA time zone its public pages tell times in, and the default for its announcements; Europe/Berlin when not given',
    ),
    memberOffer: MemberOfferSchema.nullable().optional(),
  })
  .openapi('CreateCommunity')

export const UpdateCommunitySchema = CreateCommunitySchema.partial()
  .refine((value) => Object.keys(value).length > 0, 'Send at least one field to change')
  .openapi('UpdateCommunity', { minProperties: 1 })

export const CommunitySchema = z
  .object({
    id: z.string().openapi({ example: 'cmt_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    photoUrl: z.string().nullable(),
    visibility: z.enum(VISIBILITIES),
    joinQuestions: z.array(z.string()),
    maxGroups: z.number().int(),
    consent: ConsentModeSchema,
    timeZone: z.string().openapi({ example: 'Europe/Berlin' }),
    memberOffer: z
      .string()
      .nullable()
      .optional()
      .describe(
        'What members get for being members, if anything: for those who may change the community (a group admin reads its public face only)',
      ),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('Community')

/**
 * A community as the API answers it; its offer for members only for `reader`s who may change the
 * community (it is the members', not the public face a group admin reads).
 */
export function serializeCommunity(
  community: Community,
  reader: { seesOffer: boolean },
): z.infer<typeof CommunitySchema> {
  return {
    id: community.id,
    slug: community.slug,
    name: community.name,
    description: community.description,
    photoUrl: community.photoUrl,
    visibility: community.visibility,
    joinQuestions: community.joinQuestions,
    maxGroups: community.maxGroups,
    consent: community.consent,
    timeZone: community.timeZone,
    ...(reader.seesOffer ? { memberOffer: community.memberOffer } : {}),
    createdAt: community.createdAt.toISOString(),
    updatedAt: community.updatedAt.toISOString(),
  }
}
