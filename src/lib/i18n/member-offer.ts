/**
 * A community's offer for its members: its field in the community's form, its heading on the
 * pages that show members their own links, and the landing page's line saying there is one. German first: the first market, and the default.
 */
export const memberOfferDe = {
  label: 'Angebot für Mitglieder (optional)',
  hint: 'Zum Beispiel ein Rabattcode oder früher Zugang. Nur Mitglieder sehen es, bei ihren eigenen Links, nie auf der öffentlichen Seite.',
  heading: 'Exklusiv für Mitglieder',
  teaser: 'Mitglieder bekommen ein exklusives Angebot, sobald sie dabei sind.',
}

export type MemberOfferWords = typeof memberOfferDe

/** The same, in English. */
export const memberOfferEn: MemberOfferWords = {
  label: 'Offer for members (optional)',
  hint: 'A discount code or early access, for instance. Only members see it, with their own links, never on the public page.',
  heading: 'Exclusively for members',
  teaser: 'Members get an exclusive offer once they are in.',
}
