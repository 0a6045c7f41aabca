// The demo's two WhatsApp communities as their history knows them: their ids and announcement
// groups, the campaign links people come through, and the marker that says their history is
// loaded (scripts/demo-history.mjs).
import { canonicalCode, customCodeProblem } from '../src/lib/codes.ts'
import { insertsUnlessLoaded } from './demo-sql.mjs'

export const DAYS = 60
export const RUNNERS = 'cmt_0000000000000000000000000b'
export const MAKERS = 'cmt_0000000000000000000000000k'
export const RUNNERS_ANNOUNCEMENTS = 'grp_000000000000000000000000b0'
export const MAKERS_ANNOUNCEMENTS = 'grp_000000000000000000000000k0'
export const MARKER = 'rwr_0000000000000000000000dem0'
export const NOT_LOADED = `NOT EXISTS (SELECT 1 FROM reward_rules WHERE id = '${MARKER}')`
export const inserts = insertsUnlessLoaded(NOT_LOADED)

/**
 * The demo's codes are custom codes, as an admin would choose them: held to the rules the API
 * holds a wished-for code to (shape, reserved words) and stored in the form it stores them in.
 */
export function customCode(code) {
  const problem = customCodeProblem(code)
  if (problem) throw new Error(`The demo code "${code}" is not a valid custom code: ${problem}`)
  return canonicalCode(code)
}

/** Campaign links per channel; the first of each community exists in seed.sql already. */
export const LINKS = [
  {
    id: 'inv_0000000000000000000000000b',
    community: RUNNERS,
    code: 'sundayrunners',
    label: 'Poster at Tempelhofer Feld',
    source: 'poster',
    medium: 'print',
    qr: 0.88,
    weight: 1.0,
    rate: 0.07,
    group: 'grp_000000000000000000000000b1',
  },
  {
    id: 'inv_000000000000000000000000b2',
    community: RUNNERS,
    code: 'runnersinsta',
    label: 'Instagram bio',
    source: 'instagram',
    medium: 'social',
    qr: 0.06,
    weight: 1.5,
    rate: 0.045,
  },
  {
    id: 'inv_000000000000000000000000b3',
    community: RUNNERS,
    code: 'runnersweb',
    label: 'Website footer',
    source: 'website',
    medium: 'web',
    qr: 0.02,
    weight: 0.8,
    rate: 0.08,
  },
  {
    id: 'inv_000000000000000000000000b4',
    community: RUNNERS,
    code: 'laufladen',
    label: 'Partner: Laufladen Kreuzberg',
    source: 'partner',
    medium: 'print',
    qr: 0.7,
    weight: 0.45,
    rate: 0.11,
    group: 'grp_000000000000000000000000b2',
  },
  {
    id: 'inv_0000000000000000000000000k',
    community: MAKERS,
    code: 'handmademaker',
    label: 'Instagram bio',
    source: 'instagram',
    medium: 'social',
    qr: 0.08,
    weight: 0.7,
    rate: 0.06,
  },
  {
    id: 'inv_000000000000000000000000k2',
    community: MAKERS,
    code: 'repairflyer',
    label: 'Flyer at the repair café',
    source: 'flyer',
    medium: 'print',
    qr: 0.92,
    weight: 0.35,
    rate: 0.12,
    group: 'grp_000000000000000000000000k1',
  },
].map((link) => ({ ...link, code: customCode(link.code) }))

/**
 * A poster whose campaign is over: its link expired ten days ago and its page leads on to the
 * current poster's link (a link's fallback). No visits in the history: it ended before them.
 */
export const ENDED_LINK = {
  id: 'inv_000000000000000000000000b5',
  community: RUNNERS,
  code: customCode('winterposter'),
  label: 'Winter poster (campaign over)',
  source: 'poster',
  medium: 'print',
  fallback: LINKS[0].id,
}
