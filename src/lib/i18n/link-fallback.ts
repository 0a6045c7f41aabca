/**
 * A link's fallback in its edit form: where the page of a link that has expired or is used up
 * leads people on. German first: the first market, and the default.
 */
export const linkFallbackDe = {
  label: 'Wenn er abgelaufen oder aufgebraucht ist, weiter zu',
  none: 'Keinem Link',
  hint: 'Seine Seite bietet dann diesen Link an, solange der funktioniert; ohne ihn bittet sie um einen neuen. Ein zurückgezogener Link führt nirgendwohin weiter.',
  refused: 'Wähle einen Link dieser Community, der gerade funktioniert.',
  leadsTo: (link: string) => `Seine Seite bietet stattdessen „${link}“ an.`,
}

export type LinkFallbackWords = typeof linkFallbackDe

/** The same, in English. */
export const linkFallbackEn: LinkFallbackWords = {
  label: 'Once it has expired or is used up, lead to',
  none: 'No link',
  hint: 'Its page then offers this link, while that one works; without one, it asks for a new link. A link withdrawn leads nowhere.',
  refused: 'Choose a link of this community that works now.',
  leadsTo: (link: string) => `Its page offers “${link}” instead.`,
}
