import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { communityFor } from '../../api/community-scope'
import { ApiError } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { formatNumber, REWARD_WORDS } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { auditTarget, changedNothing } from '../../middleware/audit-trail'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { CreateRewardRuleSchema } from '../../schemas/members'
import { assertCan, can } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import {
  createRewardRule,
  listRewardRulesQuery,
  MAX_REWARD_RULES,
  retireRewardRule,
  rewardsQuery,
} from '../../services/rewards'
import { RewardsPage } from '../../views/dashboard/rewards'
import type { FormState } from '../../views/form-fields'
import {
  CommunityId,
  communityShell,
  formString,
  idOrThrow,
  inLanguage,
  lang,
  withNotice,
} from './page'

/**
 * A community's rewards for referrals: the rules members earn them by (added and retired here,
 * with the API's schema, rules and service) and the rewards earned lately.
 */
export const rewardsPages = new Hono<AppEnv>()

const RuleId = z.string().regex(idPattern('rwr'))

/** How many earned rewards the page lists: the latest; the API pages through all of them. */
const EARNED_SHOWN = 50

rewardsPages.get('/admin/communities/:id/rewards', (c) =>
  rewardsPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

async function rewardsPage(c: Context<AppEnv>, id: string, form?: FormState) {
  assertCan(c.var.principal, 'referrals.read', { communityId: id }, 'Community')
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const [communityRows, rules, earned] = await db.batch([
    communityQuery(db, id),
    listRewardRulesQuery(db, id),
    rewardsQuery(db, id, { rows: EARNED_SHOWN, newestFirst: true }),
  ])
  const community = communityOf(communityRows)
  return communityShell(
    c,
    community,
    '/rewards',
    `${community.name}: ${REWARD_WORDS[lang(c)].tab}`,
    <RewardsPage
      lang={lang(c)}
      timeZone={community.timeZone}
      csrf={await csrfTokenFor(c)}
      rules={rules}
      earned={earned}
      manage={can(c.var.principal, 'referrals.manage', { communityId: id })}
      actionPath={(path) => inLanguage(c, path)}
      communityId={id}
      form={form}
    />,
    form ? 400 : 200,
  )
}

/** The add form's fields as typed; numbers are read as the API takes them. */
function ruleFormValues(form: Record<string, unknown>) {
  const text = (key: string) => formString(form, key) ?? ''
  return {
    threshold: text('threshold'),
    title: text('title'),
    description: text('description'),
    code: text('code'),
    minRetentionDays: text('minRetentionDays'),
  }
}

/** A whole number as typed, for the schema to judge: anything else stays text, and is refused. */
function wholeNumber(typed: string): number | string {
  return /^\s*\d{1,9}\s*$/.test(typed) ? Number(typed) : typed
}

rewardsPages.post('/admin/communities/:id/rewards', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'referrals.manage')
  const values = ruleFormValues(await readForm(c))
  const parsed = CreateRewardRuleSchema.safeParse({
    threshold: wholeNumber(values.threshold),
    title: values.title,
    ...(values.description.trim() ? { description: values.description } : {}),
    ...(values.code.trim() ? { code: values.code } : {}),
    ...(values.minRetentionDays.trim()
      ? { minRetentionDays: wholeNumber(values.minRetentionDays) }
      : {}),
  })
  if (!parsed.success) {
    const errors = fieldMessages(lang(c), parsed.error.issues)
    return rewardsPage(c, id, { values, errors })
  }
  try {
    auditTarget(c, (await createRewardRule(c.var.db, id, parsed.data, new Date())).id)
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'reward_rule_limit_reached') throw error
    const limit = REWARD_WORDS[lang(c)].limit(formatNumber(lang(c), MAX_REWARD_RULES))
    return rewardsPage(c, id, { values, errors: { threshold: limit } })
  }
  return c.redirect(inLanguage(c, withNotice(`/admin/communities/${id}/rewards`, 'created')), 303)
})

rewardsPages.post('/admin/communities/:id/rewards/:ruleId/retire', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const ruleId = idOrThrow(RuleId, c.req.param('ruleId'))
  await communityFor(c, id, 'referrals.manage')
  // Retired before (a second tab, a double tap): the page shows it gone, as the first did.
  if ((await retireRewardRule(c.var.db, id, ruleId, new Date())) === 'retired before')
    changedNothing(c)
  return c.redirect(inLanguage(c, withNotice(`/admin/communities/${id}/rewards`, 'saved')), 303)
})
