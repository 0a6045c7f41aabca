import type { Lang } from './index'

/** The compare page's own words, apart from the dashboard's catalogue. */
export const COMPARE_WORDS: Record<Lang, { back: string; unknownSource: string }> = {
  de: {
    back: 'Zurück zu den Zahlen der Community',
    unknownSource:
      'Quellen wählen, die Links dieser Community tragen: Eine der verlangten ist keine davon.',
  },
  en: {
    back: 'Back to the community’s figures',
    unknownSource:
      'Pick sources this community’s links carry: one of those asked for is none of them.',
  },
}
