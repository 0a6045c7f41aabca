/**
 * Several links made at once from the dashboard: a name per line, the other settings shared,
 * and the page that lists what was made. German first: the first market, and the default.
 */
/** Line numbers as a sentence lists them: "3, 5 and 9", "3, 5 und 9". */
function listed(lang: 'de' | 'en', numbers: string[]): string {
  return new Intl.ListFormat(lang === 'de' ? 'de-DE' : 'en-GB', { type: 'conjunction' }).format(
    numbers,
  )
}

export const linksBulkDe = {
  heading: 'Mehrere Links auf einmal',
  hint: 'Ein Link pro Zeile, benannt nach der Zeile: die Plakate einer Kampagne, ihre Promoter oder Kanäle. Die Einstellungen darunter gelten für jeden.',
  names: (max: string) => `Namen, einer pro Zeile (bis zu ${max})`,
  namesPlaceholder: 'Plakat Kreuzberg\nPlakat Neukölln\nNewsletter',
  create: 'Links anlegen',
  noNames: 'Schreib mindestens einen Namen.',
  tooMany: (max: string) => `Höchstens ${max} Zeilen auf einmal.`,
  linesTooLong: (lines: string[], max: string) =>
    `${lines.length === 1 ? 'Zeile' : 'Zeilen'} ${listed('de', lines)}: höchstens ${max} Zeichen.`,
  linesInvisible: (lines: string[]) =>
    `${lines.length === 1 ? 'Zeile' : 'Zeilen'} ${listed('de', lines)}: nur unsichtbare Zeichen.`,
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
  linesTooLong: (lines: string[], max: string) =>
    `${lines.length === 1 ? 'Line' : 'Lines'} ${listed('en', lines)}: at most ${max} characters.`,
  linesInvisible: (lines: string[]) =>
    `${lines.length === 1 ? 'Line' : 'Lines'} ${listed('en', lines)}: only invisible characters.`,
  madeTitle: (count: string) => (count === '1' ? 'One link created' : `${count} links created`),
  madeHint: 'Each has a code and QR code of its own; the overview lists them with their figures.',
  name: 'Name',
  link: 'Link',
  qr: 'QR code',
  back: 'To the overview',
}
