import type { Lang } from '../lib/i18n'
import { addDays, formatDay } from '../lib/time'
import type { FunnelFigures } from '../services/stats'
import { percent, words } from './dashboard/shell'

type RetentionFigures = Pick<
  FunnelFigures,
  | 'joins'
  | 'firstJoinDay'
  | 'joinedAtLeast7DaysAgo'
  | 'stayed7Days'
  | 'joinedAtLeast30DaysAgo'
  | 'stayed30Days'
>

/** A day as every page writes it (`2026-12-10` -> "10 Dec 2026" or "10.12.2026"). */
function dayText(lang: Lang, day: string): string {
  return formatDay(lang, new Date(`${day}T00:00:00Z`), 'UTC')
}

/**
 * Retention after 7 or 30 days as a cell says it: the share still members, or, while no join
 * is old enough, the day it becomes measurable (never a bare dash that reads as zero).
 */
export function retentionText(lang: Lang, f: RetentionFigures, days: 7 | 30): string {
  const t = words(lang)
  const base = days === 7 ? f.joinedAtLeast7DaysAgo : f.joinedAtLeast30DaysAgo
  if (base > 0) return percent((days === 7 ? f.stayed7Days : f.stayed30Days) / base, lang)
  if (f.joins === 0 || !f.firstJoinDay) return t.noJoinsYet
  return t.notYetMeasurable(dayText(lang, addDays(f.firstJoinDay, days)))
}
