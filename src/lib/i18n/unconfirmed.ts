import type { ConsentMethod } from '../../db/schema'

/**
 * The approvals page's part on sign-ups that wait for their owner to confirm (double opt-in), in
 * German: the first market, and the default.
 */
export const unconfirmedDe = {
  heading: 'Warten auf ihre eigene Bestätigung',
  text: 'Diese Personen haben sich angemeldet, ihre Telefonnummer oder E-Mail-Adresse aber noch nicht bestätigt (Double-Opt-in). Bis dahin geht ihnen nichts zu, und niemand entscheidet über sie; unbestätigte Anmeldungen werden gelöscht, wenn sie ablaufen. Hast du einen Nachweis ihrer Einwilligung (etwa ein unterschriebenes Formular), trag ihn hier ein: Er wird ihr Einwilligungsnachweis, mit dem Vermerk, wer ihn eingetragen hat.',
  none: 'Niemand wartet auf die eigene Bestätigung.',
  firstShown: (n: string) => `Die ${n} ältesten; die übrigen folgen, wenn diese erledigt sind.`,
  expires: 'Läuft ab',
  column: 'Einwilligung',
  proof: 'Nachweis der Einwilligung',
  /** What a consent record's proof id is: named before it, so nobody reads it as a code to type. */
  proofKinds: {
    whatsapp_message: 'ihre WhatsApp-Nachricht, Kennung',
    whatsapp_button: 'ihre Antwort per Button in WhatsApp, Kennung',
    email_link: 'der bestätigte Link, Kennung',
    telegram_join: 'Telegrams Meldung des Beitritts, Kennung',
  } as Partial<Record<ConsentMethod, string>>,
  proofHint: 'Was sie belegt, z. B. „unterschriebenes Formular am Stand, 28. Nov.“',
  covers: 'Der Nachweis gilt für',
  phone: 'die Telefonnummer',
  email: 'die E-Mail-Adresse',
  record: 'Einwilligung eintragen',
  recordedNotice: 'Die Einwilligung ist eingetragen.',
  coversMissing: 'Wähle, wofür der Nachweis gilt: Die Anmeldung hat eine Nummer und eine Adresse.',
  expired: 'Diese Anmeldung ist unbestätigt abgelaufen; die Person meldet sich neu an.',
  gone: 'Nichts eingetragen: Diese Anmeldung wartet nicht mehr auf eine Bestätigung oder hat keine solche Angabe.',
  groupFull:
    'Die Einwilligung ist eingetragen, aber die Gruppe ist voll: Die Anfrage wartet oben, bis ein Platz frei ist.',
}

export type UnconfirmedWords = typeof unconfirmedDe

/** The same, in English. */
export const unconfirmedEn: UnconfirmedWords = {
  heading: 'Waiting for their own confirmation',
  text: 'These people signed up but have not yet confirmed their phone number or e-mail address (double opt-in). Until they do, nothing is sent to them and nobody decides on them; unconfirmed sign-ups are deleted when they expire. If you hold proof of their consent (a signed form, say), record it here: it becomes their consent record, noting who recorded it.',
  none: 'Nobody is waiting to confirm.',
  firstShown: (n) => `The ${n} oldest; the rest follow once these are settled.`,
  expires: 'Expires',
  column: 'Consent',
  proof: 'Proof of consent',
  proofKinds: {
    whatsapp_message: 'their WhatsApp message, ID',
    whatsapp_button: 'their button reply in WhatsApp, ID',
    email_link: 'the link they confirmed, ID',
    telegram_join: 'Telegram’s report of the join, ID',
  },
  proofHint: 'What shows it, e.g. “signed form at the stand, 28 Nov”',
  covers: 'The proof covers',
  phone: 'the phone number',
  email: 'the e-mail address',
  record: 'Record consent',
  recordedNotice: 'The consent is recorded.',
  coversMissing: 'Choose what the proof covers: this sign-up has a number and an address.',
  expired: 'This sign-up expired unconfirmed; the person signs up again.',
  gone: 'Nothing recorded: this sign-up no longer waits for a confirmation, or has no such contact.',
  groupFull:
    'The consent is recorded, but the group is full: the request waits above until there is room.',
}
