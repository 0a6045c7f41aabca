import { and, asc, eq, gt } from 'drizzle-orm'
import type { Database } from '../db/client'
import { members, rewardRules, rewards, type RewardRule } from '../db/schema'
import { newId } from '../lib/ids'
import { toPage, type Page } from '../lib/pagination'

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
  }
  await db.insert(rewardRules).values(rule)
  return rule
}

export async function listRewardRules(db: Database, communityId: string): Promise<RewardRule[]> {
  return db
    .select()
    .from(rewardRules)
    .where(eq(rewardRules.communityId, communityId))
    .orderBy(asc(rewardRules.threshold))
}

/** Rewards earned in a community, oldest first, with who earned them and what. */
export async function listRewards(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
) {
  const rows = await db
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
    .orderBy(asc(rewards.id))
    .limit(options.limit + 1)
  return toPage(rows, options.limit) as Page<(typeof rows)[number]>
}
