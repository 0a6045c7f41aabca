/**
 * The announcement form's texts in other languages, in German: the first market, and the
 * default.
 */
export const translationsDe = {
  summary: 'Auch in einer anderen Sprache',
  hint: 'Wer sich auf einer Seite in dieser Sprache angemeldet hat, bekommt diesen Text; alle anderen den Text oben.',
  field: { de: 'Text auf Deutsch (optional)', en: 'Text auf Englisch (optional)' },
  alsoIn: 'Auch auf',
  textIn: { de: 'Auf Deutsch', en: 'Auf Englisch' },
  names: { de: 'Deutsch', en: 'Englisch' },
}

export type TranslationWords = typeof translationsDe

/** The same, in English. */
export const translationsEn: TranslationWords = {
  summary: 'Also in another language',
  hint: 'Whoever signed up on a page in that language gets this text; everyone else the text above.',
  field: { de: 'Text in German (optional)', en: 'Text in English (optional)' },
  alsoIn: 'Also in',
  textIn: { de: 'In German', en: 'In English' },
  names: { de: 'German', en: 'English' },
}
