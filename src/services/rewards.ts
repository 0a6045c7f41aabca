import { and, asc, desc, eq, gt, isNull, notInArray } from 'drizzle-orm'
import { ApiError, notFound } from '../lib/errors'
import type { Database } from '../db/client'
import { members, rewardRules, rewards, type Member, type RewardRule } from '../db/schema'
import { idTimePart, newId } from '../lib/ids'
import { toPage, type Page } from '../lib/pagination'
import { EARNED_AT_ONCE, referredProven } from './join-statements'

export async function createRewardRule(
  db: Database,
  communityId: string,
  input: {
    threshold: number
    title: string
    description?: string
    code?: string | null
    minRetentionDays?: number
  },
  now: Date,
): Promise<RewardRule> {
  const rule: RewardRule = {
    id: newId('rwr', now.getTime()),
    communityId,
    threshold: input.threshold,
    title: input.title,
    description: input.description ?? '',
    code: input.code ?? null,
    minRetentionDays: input.minRetentionDays ?? 0,
    createdAt: now,
    retiredAt: null,
  }
  const client = db.$client
  const nowMs = now.getTime()
  const trigger = `rule:${rule.id}`
  const [inserted] = await client.batch([
    // The bound is a condition of the insert itself: two rules added at once cannot pass it.
    client
      .prepare(
        `insert into reward_rules (id, community_id, threshold, title, description, code,
           min_retention_days, created_at)
         select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
         where (select count(*) from reward_rules where community_id = ?2
           and retired_at is null) < ?9`,
      )
      .bind(
        rule.id,
        communityId,
        rule.threshold,
        rule.title,
        rule.description,
        rule.code,
        rule.minRetentionDays,
        nowMs,
        MAX_REWARD_RULES,
      ),
    // A rule that counts at once is earned at once by the members whose count reached it
    // already: a grant otherwise comes only with a referral, and theirs came before the rule.
    // (One that counts staying members waits for the cron job, as always.)
    client
      .prepare(
        `insert or ignore into rewards (id, rule_id, member_id, community_id, triggered_by, earned_at)
         select 'rwd_' || ?3 || lower(hex(randomblob(8))), r.id, m.id, m.community_id, ?2, ?4
         from reward_rules r join members m on m.community_id = r.community_id
         where r.id = ?1 and ${EARNED_AT_ONCE}`,
      )
      .bind(rule.id, trigger, idTimePart(nowMs), nowMs),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select 'evt_' || ?3 || lower(hex(randomblob(8))), 'reward.earned', w.community_id,
           json_object('rewardId', w.id, 'ruleId', w.rule_id, 'memberId', w.member_id), ?4
         from rewards w where w.rule_id = ?1 and w.triggered_by = ?2`,
      )
      .bind(rule.id, trigger, idTimePart(nowMs), nowMs),
  ])
  if (inserted!.meta.changes === 0) {
    throw new ApiError(
      'reward_rule_limit_reached',
      `A community holds at most ${MAX_REWARD_RULES} reward rules.`,
    )
  }
  return rule
}

/**
 * Live reward rules a community may hold: a ladder of rewards, not a list that grows without
 * end under every approval's check of them.
 */
export const MAX_REWARD_RULES = 20

/** A community's live reward rules, lowest threshold first. */
export async function listRewardRules(db: Database, communityId: string): Promise<RewardRule[]> {
  return listRewardRulesQuery(db, communityId)
}

/** `listRewardRules`' read, for a batch. */
export function listRewardRulesQuery(db: Database, communityId: string) {
  return db
    .select()
    .from(rewardRules)
    .where(and(eq(rewardRules.communityId, communityId), isNull(rewardRules.retiredAt)))
    .orderBy(asc(rewardRules.threshold))
    .limit(RULES_LISTED)
}

/**
 * Live rules a list shows: every one a community may add, and room for those a community added
 * before the bound, so that each can still be seen and retired.
 */
const RULES_LISTED = 100

/**
 * Retires a live rule of the community: it grants nothing from now on and no member is offered
 * it, while the rewards it granted stay with those who earned them (their codes included).
 * Says whether it was live until now; 404 for a rule that is not the community's.
 */
export async function retireRewardRule(
  db: Database,
  communityId: string,
  ruleId: string,
  now: Date,
): Promise<'retired' | 'retired before'> {
  const ofCommunity = and(eq(rewardRules.id, ruleId), eq(rewardRules.communityId, communityId))
  const [[retired], [rule]] = await db.batch([
    db
      .update(rewardRules)
      .set({ retiredAt: now })
      .where(and(ofCommunity, isNull(rewardRules.retiredAt)))
      .returning({ id: rewardRules.id }),
    db.select({ id: rewardRules.id }).from(rewardRules).where(ofCommunity),
  ])
  if (retired) return 'retired'
  if (rule) return 'retired before'
  throw notFound('Reward rule')
}

/** What a member's own page shows of their rewards. */
export interface MemberRewards {
  /** Those earned, by their rule's threshold. */
  earned: Array<{ title: string; description: string; code: string | null }>
  /** How many joined through their link and count for them (the kept count). */
  referred: number
  /**
   * The community's lowest live rule they have not earned yet, by its title only (what it says
   * besides, and its code, are for those who earn it): how many more people it takes, or for a
   * rule that counts people once they stayed, how many and how long.
   */
  next:
    | { title: string; remaining: number }
    | { title: string; threshold: number; retentionDays: number }
    | null
}

export const NO_REWARDS: MemberRewards = { earned: [], referred: 0, next: null }

function nextOf(rule: RewardRule | undefined, referred: number): MemberRewards['next'] {
  if (!rule) return null
  if (rule.minRetentionDays > 0)
    return { title: rule.title, threshold: rule.threshold, retentionDays: rule.minRetentionDays }
  // Reached, the rule is earned in the same batch as the count: nothing left to wait for.
  const remaining = rule.threshold - referred
  return remaining > 0 ? { title: rule.title, remaining } : null
}

/**
 * A member's rewards, earned and next, in one round trip: what their status page shows beside
 * their referral link, so that they see what sharing it brings them.
 */
export async function memberRewards(
  db: Database,
  member: Pick<Member, 'id' | 'communityId' | 'referralCount'>,
): Promise<MemberRewards> {
  const earnedBy = db
    .select({ ruleId: rewards.ruleId })
    .from(rewards)
    .where(eq(rewards.memberId, member.id))
  const [earned, [next]] = await db.batch([
    db
      .select({
        title: rewardRules.title,
        description: rewardRules.description,
        code: rewardRules.code,
      })
      .from(rewards)
      .innerJoin(rewardRules, eq(rewardRules.id, rewards.ruleId))
      .where(eq(rewards.memberId, member.id))
      .orderBy(asc(rewardRules.threshold))
      // One per rule; retired rules add up over the years, a page does not need them all.
      .limit(100),
    db
      .select()
      .from(rewardRules)
      .where(
        and(
          eq(rewardRules.communityId, member.communityId),
          isNull(rewardRules.retiredAt),
          notInArray(rewardRules.id, earnedBy),
        ),
      )
      .orderBy(asc(rewardRules.threshold))
      .limit(1),
  ])
  return {
    earned,
    referred: member.referralCount,
    next: nextOf(next, member.referralCount),
  }
}

/** Rewards earned in a community, oldest first, with who earned them and what. */
export async function listRewards(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
) {
  const rows = await rewardsQuery(db, communityId, {
    cursor: options.cursor,
    rows: options.limit + 1,
  })
  return toPage(rows, options.limit) as Page<(typeof rows)[number]>
}

/** `listRewards`' read, for a batch: at most `rows` rows (a page is read with one more). */
export function rewardsQuery(
  db: Database,
  communityId: string,
  options: { cursor?: string; rows: number; newestFirst?: boolean },
) {
  return db
    .select({
      id: rewards.id,
      ruleId: rewards.ruleId,
      title: rewardRules.title,
      threshold: rewardRules.threshold,
      memberId: rewards.memberId,
      memberName: members.name,
      earnedAt: rewards.earnedAt,
    })
    .from(rewards)
    .innerJoin(rewardRules, eq(rewardRules.id, rewards.ruleId))
    .innerJoin(members, eq(members.id, rewards.memberId))
    .where(
      and(
        eq(rewards.communityId, communityId),
        options.cursor ? gt(rewards.id, options.cursor) : undefined,
      ),
    )
    .orderBy(options.newestFirst ? desc(rewards.id) : asc(rewards.id))
    .limit(options.rows)
}

/**
 * Rewards whose rule counts only referred members who stayed: a referrer earns one once enough
 * of the members they referred are still members `minRetentionDays` after joining (a member
 * who left before never counts). Run by the cron job; the reward is unique per rule and
 * referrer, so it is never given twice. Reads the referred members of the communities that
 * have such rules through their (community, joined_at) index.
 */
export async function creditRetainedReferrals(db: Database, now: Date): Promise<number> {
  const rules = await db
    .select()
    .from(rewardRules)
    .where(and(gt(rewardRules.minRetentionDays, 0), isNull(rewardRules.retiredAt)))
    .limit(200)
  const client = db.$client
  const nowMs = now.getTime()
  let earned = 0
  for (const rule of rules) {
    const trigger = `retention:${rule.id}`
    const [inserted] = await client.batch([
      client
        .prepare(
          `insert or ignore into rewards (id, rule_id, member_id, community_id, triggered_by, earned_at)
           select 'rwd_' || ?5 || lower(hex(randomblob(8))), ?1, m.referred_by_member_id, ?2, ?6, ?4
           from members m join members referrer on referrer.id = m.referred_by_member_id
           where m.community_id = ?2 and m.joined_at <= ?3 and m.referred_by_member_id is not null
             and m.status = 'active' and m.confirmed_at is not null and referrer.status = 'active'
             -- Credited as the kept counts are: not while the sign-up awaits its proof.
             and not exists (select 1 from join_requests r where r.id = m.join_request_id
               and not ${referredProven('r')})
             and not exists (select 1 from rewards w where w.rule_id = ?1 and w.member_id = m.referred_by_member_id)
             -- Read again here: a rule retired since the list was read grants nothing.
             and exists (select 1 from reward_rules live where live.id = ?1 and live.retired_at is null)
           group by m.referred_by_member_id having count(*) >= ?7`,
        )
        .bind(
          rule.id,
          rule.communityId,
          nowMs - rule.minRetentionDays * 86400_000,
          nowMs,
          idTimePart(nowMs),
          trigger,
          rule.threshold,
        ),
      client
        .prepare(
          `insert into events (id, type, community_id, payload, created_at)
           select 'evt_' || ?3 || lower(hex(randomblob(8))), 'reward.earned', w.community_id,
             json_object('rewardId', w.id, 'ruleId', w.rule_id, 'memberId', w.member_id), ?2
           from rewards w where w.rule_id = ?4 and w.triggered_by = ?1 and w.earned_at = ?2`,
        )
        .bind(trigger, nowMs, idTimePart(nowMs), rule.id),
    ])
    earned += inserted!.meta.changes
  }
  return earned
}
