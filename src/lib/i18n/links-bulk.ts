/**
 * Several links made at once from the dashboard: a name per line, the other settings shared,
 * and the page that lists what was made. German first: the first market, and the default.
 */
export const linksBulkDe = {
  heading: 'Mehrere Links auf einmal',
  hint: 'Ein Link pro Zeile, benannt nach der Zeile: die Plakate einer Kampagne, ihre Promoter oder Kanäle. Die Einstellungen darunter gelten für jeden.',
  names: (max: string) => `Namen, einer pro Zeile (bis zu ${max})`,
  namesPlaceholder: 'Plakat Kreuzberg\nPlakat Neukölln\nNewsletter',
  create: 'Links anlegen',
  noNames: 'Schreib mindestens einen Namen.',
  tooMany: (max: string) => `Höchstens ${max} Zeilen auf einmal.`,
  lineTooLong: (line: string, max: string) => `Zeile ${line}: höchstens ${max} Zeichen.`,
  lineInvisible: (line: string) => `Zeile ${line}: nur unsichtbare Zeichen.`,
  madeTitle: (count: string) => (count === '1' ? 'Ein Link angelegt' : `${count} Links angelegt`),
  madeHint:
    'Jeder hat seinen eigenen Code und QR-Code; in der Übersicht stehen sie mit ihren Zahlen.',
  name: 'Name',
  link: 'Link',
  qr: 'QR-Code',
  back: 'Zur Übersicht',
}

export type LinksBulkWords = typeof linksBulkDe

/** The same, in English. */
export const linksBulkEn: LinksBulkWords = {
  heading: 'Several links at once',
  hint: 'One link per line, named by the line: a campaign’s posters, its promoters or channels. The settings below apply to each.',
  names: (max: string) => `Names, one per line (up to ${max})`,
  namesPlaceholder: 'Poster Kreuzberg\nPoster Neukölln\nNewsletter',
  create: 'Create links',
  noNames: 'Write at least one name.',
  tooMany: (max: string) => `At most ${max} lines at once.`,
  lineTooLong: (line: string, max: string) => `Line ${line}: at most ${max} characters.`,
  lineInvisible: (line: string) => `Line ${line}: only invisible characters.`,
  madeTitle: (count: string) => (count === '1' ? 'One link created' : `${count} links created`),
  madeHint: 'Each has a code and QR code of its own; the overview lists them with their figures.',
  name: 'Name',
  link: 'Link',
  qr: 'QR code',
  back: 'To the overview',
}
