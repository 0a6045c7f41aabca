/** The dashboard's rewards page, in German: the first market, and the default. */
export const rewardsDe = {
  tab: 'Belohnungen',
  heading: 'Belohnungen für Empfehlungen',
  text: 'Was ein Mitglied bekommt, wenn Leute über seinen eigenen Link beitreten. Jedes Mitglied sieht auf seiner Statusseite die nächste und wie viele noch fehlen; den Code erst, wenn es sie verdient hat.',
  none: 'Noch keine Belohnungen: Lege unten die erste an.',
  people: 'Personen',
  reward: 'Belohnung',
  code: 'Code',
  counted: 'Zählt',
  atOnce: 'sofort',
  afterDays: (days: string) => (days === '1' ? 'nach einem Tag' : `nach ${days} Tagen`),
  retire: 'Beenden',
  confirmRetire:
    'Diese Belohnung beenden? Ab jetzt verdient sie niemand mehr; wer sie verdient hat, behält sie.',
  add: 'Belohnung anlegen',
  thresholdField: 'Personen, die über den Link des Mitglieds beitreten',
  titleField: 'Belohnung',
  descriptionField: 'Was es ist, wie man es einlöst: sichtbar erst nach dem Verdienen (optional)',
  codeField: 'Gutscheincode, sichtbar erst nach dem Verdienen (optional)',
  daysField: 'Erst zählen, wenn sie so viele Tage dabei sind (0: sofort)',
  limit: (n: string) => `Eine Community hat höchstens ${n} Belohnungen: Beende zuerst eine.`,
  earnedHeading: 'Zuletzt verdient',
  /** Under the overview's leaderboard: its counts are not the period's above. */
  boardAllTime:
    'Seit Beginn der Community: gezählt werden Beitritte über den Link des Mitglieds, unabhängig vom Zeitraum oben.',
}

export type RewardWords = typeof rewardsDe

/** The dashboard's rewards page, in English. */
export const rewardsEn: RewardWords = {
  tab: 'Rewards',
  heading: 'Rewards for referrals',
  text: 'What a member gets for bringing people in through their own link. Each member sees the next one and how many it still takes on their status page; its code only once they have earned it.',
  none: 'No rewards yet: add the first below.',
  people: 'People',
  reward: 'Reward',
  code: 'Code',
  counted: 'Counted',
  atOnce: 'at once',
  afterDays: (days) => (days === '1' ? 'after a day' : `after ${days} days`),
  retire: 'Retire',
  confirmRetire: 'Retire this reward? Nobody earns it from now on; those who earned it keep it.',
  add: 'Add a reward',
  thresholdField: 'People who join through the member’s link',
  titleField: 'Reward',
  descriptionField: 'What it is, how to claim it: shown once earned (optional)',
  codeField: 'Voucher code, shown once earned (optional)',
  daysField: 'Count them once they have stayed this many days (0: at once)',
  limit: (n) => `A community has at most ${n} rewards: retire one first.`,
  earnedHeading: 'Earned lately',
  boardAllTime:
    'Since the community began: joins through each member’s own link, whatever the period above.',
}
