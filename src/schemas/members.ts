import { z } from '@hono/zod-openapi'
import {
  CONSENT_METHODS,
  CONTACT_KINDS,
  DECISION_NOTICE_STATUSES,
  JOIN_REQUEST_STATUSES,
  type ConsentMethod,
  LEAVE_REASONS,
  MEMBER_STATUSES,
  SIGN_UP_LANGUAGES,
  type Member,
  type RewardRule,
} from '../db/schema'
import { idPattern } from '../lib/ids'
import { queryInteger } from '../lib/pagination'
import type { JoinRequestListing } from '../services/join-requests'
import type { ListedMember } from '../services/members'
import { TimestampSchema, userText } from './common'

export const ConsentRecordSchema = z
  .object({
    confirmedAt: TimestampSchema,
    method: z
      .enum(CONSENT_METHODS)
      .describe(
        '`whatsapp_message`: sent the one-time code from their own WhatsApp; `whatsapp_button`: tapped the confirmation template’s button; `email_link`: confirmed the e-mailed link; `single_opt_in`: the join form alone; `admin`: recorded by an admin; `telegram_join`: joined the Telegram chat from their own account (seen by Telegram)',
      ),
    proofId: z
      .string()
      .nullable()
      .describe(
        'The WhatsApp message id (wamid), the confirmation link’s id, or the `update_id` of ' +
          'the Telegram update that reported the join',
      ),
  })
  .openapi('ConsentRecord')

type ConsentRecord = z.infer<typeof ConsentRecordSchema>

function record(at: Date | null, method: ConsentMethod | null, proof: string | null) {
  return at && method ? { confirmedAt: at.toISOString(), method, proofId: proof } : null
}

/** The member's first consent: they count as confirmed once any contact is. */
export function consentRecordOf(member: Member): ConsentRecord | null {
  return record(member.confirmedAt, member.consentMethod, member.consentProof)
}

export const ContactConsentSchema = z
  .object({
    phone: ConsentRecordSchema.nullable().describe(
      'Null while the phone number is unconfirmed (or there is none): nothing is sent to it',
    ),
    email: ConsentRecordSchema.nullable().describe(
      'Null while the e-mail address is unconfirmed (or there is none): it is never passed on',
    ),
  })
  .describe('The consent record of each contact: a proof confirms only the contact it comes from')
  .openapi('ContactConsent')

const MemberContactConsentSchema = ContactConsentSchema.extend({
  telegram: ConsentRecordSchema.nullable()
    .optional()
    .describe(
      'Telegram only (when configured): null unless they joined on Telegram; the join from ' +
        'their own account proves that account, for that chat',
    ),
}).openapi('MemberContactConsent')

/** Each contact's own consent record, for a sign-up or a membership. */
export function contactConsentOf(
  row: Pick<
    Member,
    | 'phoneConfirmedAt'
    | 'phoneConsentMethod'
    | 'phoneConsentProof'
    | 'emailConfirmedAt'
    | 'emailConsentMethod'
    | 'emailConsentProof'
  >,
): z.infer<typeof ContactConsentSchema> {
  return {
    phone: record(row.phoneConfirmedAt, row.phoneConsentMethod, row.phoneConsentProof),
    email: record(row.emailConfirmedAt, row.emailConsentMethod, row.emailConsentProof),
  }
}

export const JoinRequestSchema = z
  .object({
    id: z.string().openapi({ example: 'jr_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    status: z.enum(JOIN_REQUEST_STATUSES),
    name: z.string(),
    phone: z.string().nullable().describe('E.164; admins only'),
    email: z.string().nullable().describe('Admins only'),
    answers: z.array(z.string()),
    consent: z.boolean(),
    inviteId: z.string().nullable(),
    inviteLabel: z.string().nullable(),
    inviteSource: z.string().nullable(),
    referrerMemberId: z.string().nullable(),
    referrerName: z.string().nullable(),
    reason: z.string().nullable(),
    memberId: z.string().nullable(),
    createdAt: TimestampSchema,
    decidedAt: TimestampSchema.nullable(),
    confirmed: z
      .boolean()
      .describe('False while a double opt-in waits for the owner of the number or address'),
    confirmExpiresAt: TimestampSchema.nullable().describe(
      'When an unconfirmed sign-up is deleted with its contact data',
    ),
    contactConsent: ContactConsentSchema,
    whatsAppNotice: z
      .object({
        status: z
          .enum(DECISION_NOTICE_STATUSES)
          .describe(
            '`due` or `sending`: not sent yet; `sent`; `skipped`, `failed` or `unknown` (it may or may not have arrived, and is never sent again): the applicant was not told this way',
          ),
        reason: z.string().nullable().describe('Why it was skipped, or how it failed'),
      })
      .nullable()
      .describe(
        'How the applicant was told of the decision on WhatsApp, in the list of requests. Null where none is recorded (not decided yet, no confirmed phone number), and in the answer of a decision itself: its notice is sent after that answer.',
      ),
  })
  .openapi('JoinRequest')

export function serializeJoinRequest(
  request: Omit<
    JoinRequestListing,
    'inviteLabel' | 'inviteSource' | 'referrerName' | 'whatsAppNotice'
  > &
    Partial<
      Pick<JoinRequestListing, 'inviteLabel' | 'inviteSource' | 'referrerName' | 'whatsAppNotice'>
    >,
): z.infer<typeof JoinRequestSchema> {
  return {
    id: request.id,
    communityId: request.communityId,
    status: request.status,
    name: request.name,
    phone: request.phone,
    email: request.email,
    answers: request.answers,
    consent: request.consent,
    inviteId: request.inviteId,
    inviteLabel: request.inviteLabel ?? null,
    inviteSource: request.inviteSource ?? null,
    referrerMemberId: request.referrerMemberId,
    referrerName: request.referrerName ?? null,
    reason: request.reason,
    memberId: request.memberId,
    createdAt: request.createdAt.toISOString(),
    decidedAt: request.decidedAt?.toISOString() ?? null,
    confirmed: request.confirmExpiresAt === null || request.confirmedAt !== null,
    confirmExpiresAt:
      request.confirmedAt === null ? (request.confirmExpiresAt?.toISOString() ?? null) : null,
    contactConsent: contactConsentOf(request),
    whatsAppNotice: request.whatsAppNotice ?? null,
  }
}

export const JoinRequestQuerySchema = z.strictObject({
  status: z
    .enum([...JOIN_REQUEST_STATUSES, 'unconfirmed'])
    .default('pending')
    .describe(
      '`pending`: confirmed, waiting for an admin; `unconfirmed`: double opt-in sign-ups still waiting for their owner to confirm (listed as `pending` with `confirmed: false`; an admin holding proof records it with `POST /join-requests/{id}/confirm`); `approved`; `rejected`',
    ),
})

/** Why a request was declined: shown to the person on their status page. */
export const ReasonSchema = userText(500, { multiline: true, required: true })

export const RejectSchema = z.strictObject({
  reason: ReasonSchema.optional().describe('Shown to the person on their status page'),
})

export const AdminConfirmSchema = z
  .strictObject({
    proof: userText(200, { required: true }).describe(
      'What proves the person’s consent, kept as the proof (e.g. “signed form, 28 Nov”)',
    ),
    contacts: z
      .array(z.enum(CONTACT_KINDS))
      .min(1)
      .max(2)
      .optional()
      .describe(
        'Which of the sign-up’s contacts the proof covers: a proof confirms only the contacts it names. May be left out when the sign-up has one contact; required when it has both.',
      ),
  })
  .openapi('AdminConfirm')

export const BulkDecisionSchema = z
  .strictObject({
    action: z.enum(['approve', 'reject']),
    ids: z
      .array(z.string().regex(idPattern('jr'), 'Not a jr_ id'))
      .min(1)
      .max(100),
    reason: ReasonSchema.optional(),
  })
  .openapi('BulkDecision')

export const BulkResultSchema = z
  .object({
    results: z.array(
      z.object({
        id: z.string(),
        ok: z.boolean(),
        status: z.enum(JOIN_REQUEST_STATUSES).optional(),
        code: z.string().optional().describe('Why it failed, from the error catalogue'),
        detail: z.string().optional(),
        groupId: z
          .string()
          .optional()
          .describe('With `group_full`: the group that has no room (the request waits for it)'),
      }),
    ),
  })
  .openapi('BulkResult')

export const MemberSchema = z
  .object({
    id: z.string().openapi({ example: 'mem_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    name: z.string(),
    phone: z.string().nullable().describe('E.164; admins only'),
    email: z.string().nullable().describe('Admins only'),
    consent: z.boolean(),
    status: z.enum(MEMBER_STATUSES),
    groupIds: z.array(z.string()),
    inviteId: z.string().nullable(),
    referredByMemberId: z.string().nullable(),
    referralCount: z.number().int(),
    joinedAt: TimestampSchema,
    endedAt: TimestampSchema.nullable(),
    consentRecord: ConsentRecordSchema.nullable().describe(
      'The first consent: a member is confirmed once any of their contacts is',
    ),
    contactConsent: MemberContactConsentSchema,
    telegram: z
      .object({
        userId: z.number().int().describe('Their Telegram user id'),
        username: z.string().nullable().describe('Their Telegram user name, if they have one'),
        chatId: z.number().int().describe('The Telegram chat they joined'),
      })
      .nullable()
      .optional()
      .describe(
        'Telegram only (when configured): a member who joined on Telegram (seen by Telegram), ' +
          'whose account there is their contact instead of a phone number or e-mail address; ' +
          'admins only',
      ),
    leaveReason: z
      .enum(LEAVE_REASONS)
      .nullable()
      .describe('Why the membership ended, when the person said so (or their chat app did)'),
    language: z
      .enum(SIGN_UP_LANGUAGES)
      .nullable()
      .describe(
        'The language of the pages they signed up on: announcements reach them in its translation where there is one. Null for sign-ups from before it was kept, and for members who joined on Telegram',
      ),
  })
  .openapi('Member')

export function serializeMember(
  member: ListedMember,
  groupIds: string[],
  telegram = false,
): z.infer<typeof MemberSchema> {
  return {
    id: member.id,
    communityId: member.communityId,
    name: member.name,
    phone: member.phone,
    email: member.email,
    consent: member.consent,
    status: member.status,
    groupIds,
    inviteId: member.inviteId,
    referredByMemberId: member.referredByMemberId,
    referralCount: member.referralCount,
    joinedAt: member.joinedAt.toISOString(),
    endedAt: member.endedAt?.toISOString() ?? null,
    consentRecord: consentRecordOf(member),
    contactConsent: {
      ...contactConsentOf(member),
      ...(telegram
        ? {
            telegram: record(
              member.telegramConfirmedAt,
              member.telegramConsentMethod,
              member.telegramConsentProof,
            ),
          }
        : {}),
    },
    ...(telegram ? { telegram: telegramAccountOf(member) } : {}),
    leaveReason: member.leaveReason,
    language: member.language,
  }
}

function telegramAccountOf(member: Member) {
  return member.telegramUserId !== null && member.telegramChatId !== null
    ? {
        userId: member.telegramUserId,
        username: member.telegramUsername,
        chatId: member.telegramChatId,
      }
    : null
}

export const MemberQuerySchema = z.strictObject({
  groupId: z.string().regex(idPattern('grp'), 'Not a grp_ id').optional(),
  status: z.enum(MEMBER_STATUSES).optional(),
  q: userText(100)
    .optional()
    .describe(
      'Only members with this text in their name, phone number (written with or without ' +
        'spaces), e-mail address or Telegram username; letters in either case',
    ),
})

/** The list's and the export's query as the members service takes it. */
export function memberFilterOf({ q, ...filter }: z.infer<typeof MemberQuerySchema>) {
  return { ...filter, search: q || undefined }
}

export const CreateRewardRuleSchema = z
  .strictObject({
    threshold: z.number().int().min(1).max(100_000).describe('Approved referrals needed'),
    title: userText(100, { required: true }),
    description: userText(500, { multiline: true }).optional(),
    code: userText(100, { required: true })
      .optional()
      .describe('A voucher code shown to whoever earns it'),
    minRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(365)
      .optional()
      .describe(
        'Referred members count only once they have stayed this many days (credited by the daily job); 0 or absent: at once',
      ),
  })
  .openapi('CreateRewardRule')

export const RewardRuleSchema = z
  .object({
    id: z.string(),
    communityId: z.string(),
    threshold: z.number().int(),
    title: z.string(),
    description: z.string(),
    code: z.string().nullable(),
    minRetentionDays: z.number().int(),
    createdAt: TimestampSchema,
  })
  .openapi('RewardRule')

/** A live rule as the API answers with it. */
export function serializeRewardRule(rule: RewardRule): z.infer<typeof RewardRuleSchema> {
  return {
    id: rule.id,
    communityId: rule.communityId,
    threshold: rule.threshold,
    title: rule.title,
    description: rule.description,
    code: rule.code,
    minRetentionDays: rule.minRetentionDays,
    createdAt: rule.createdAt.toISOString(),
  }
}

export const RewardSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    title: z.string(),
    threshold: z.number().int(),
    memberId: z.string(),
    memberName: z.string(),
    earnedAt: TimestampSchema,
  })
  .openapi('Reward')

export const LeaderboardQuerySchema = z
  .strictObject({
    from: z.iso.date().optional(),
    to: z.iso.date().optional().describe('Included'),
    limit: queryInteger(1, 100, 20),
  })
  .refine(({ from, to }) => !from || !to || from <= to, {
    message: '`from` must not be after `to`',
    path: ['from'],
  })

export const LeaderboardSchema = z
  .object({
    data: z.array(
      z.object({
        rank: z.number().int(),
        memberId: z.string(),
        name: z.string(),
        referrals: z.number().int(),
      }),
    ),
  })
  .openapi('Leaderboard')
