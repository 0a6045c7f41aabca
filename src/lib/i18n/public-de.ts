/** The pages people see, in German: the first market, and the default. */
export const de = {
  /** The language switch: the other language's name, in that language. */
  otherLanguageName: 'English',
  languageNav: 'Sprache',
  members: (n: string) => `${n} Mitglieder`,
  member: 'Mitglied',
  /** A WhatsApp group's count: who signed up through our links, not who is in the chat. */
  // Not "über uns", which reads as the heading of an about page.
  signedUpThroughUs: (n: string) => `${n} ${n === '1' ? 'hat' : 'haben'} sich hier angemeldet`,
  openCommunity: 'Offene Community: Niemand muss dich freigeben.',
  closedCommunity: 'Geschlossene Community: Ein Admin entscheidet über deine Anfrage.',
  groupsHeading: 'Gruppen',
  announcementGroup: 'Ankündigungen, nur Admins schreiben',
  announcementGroupName: 'Ankündigungen',
  youJoin: 'Dieser Link führt in diese Gruppe',
  join: 'Beitreten',
  requestToJoin: 'Beitritt anfragen',
  privacy:
    'Deine Kontaktdaten sehen nur die Admins, nie andere Mitglieder. Du kannst deine Mitgliedschaft jederzeit beenden: Sobald du dabei bist, bekommst du einen Link dafür (auf deiner Statusseite oder der Seite, die der Link in deiner E-Mail öffnet), und ein Knopf dort bestätigt es. Den Gruppenchat selbst verlässt du separat in WhatsApp.',
  telegramPrivacy:
    'Du trittst in Telegram bei: Was die anderen Mitglieder dort von dir sehen, bestimmen deine Telegram-Einstellungen. Verlassen kannst du die Gruppe jederzeit in Telegram.',
  photoAlt: (name: string) => `Foto von ${name}`,
  notFoundTitle: 'Diesen Link gibt es nicht',
  notFoundText: 'Prüfe, ob du ihn vollständig kopiert hast, oder frag nach einem neuen Link.',
  dashboardNotFoundText:
    'Was hier stand, gibt es nicht (mehr): Vielleicht wurde es gelöscht, oder der Link ist unvollständig.',
  backToDashboard: 'Zum Dashboard',
  goneTitle: 'Dieser Link gilt nicht mehr',
  goneInviteTo: (name: string) => `Er war eine Einladung zu ${name}.`,
  revokedText: 'Die Admins haben diesen Einladungslink zurückgezogen. Frag nach einem neuen Link.',
  /** A member's personal link, revoked: ended with their membership, or withdrawn by the admins. */
  referralGoneText:
    'Das war der persönliche Einladungslink eines Mitglieds. Er gilt nicht mehr, weil die Person kein Mitglied mehr ist oder die Admins ihn zurückgezogen haben. Frag nach einem neuen Link.',
  expiredText: 'Dieser Einladungslink ist abgelaufen. Frag nach einem neuen Link.',
  usedUpText: 'Dieser Einladungslink wurde so oft genutzt wie erlaubt. Frag nach einem neuen Link.',
  goneLeadOnText: (status: 'expired' | 'used_up'): string =>
    status === 'expired'
      ? 'Dieser Einladungslink ist abgelaufen, aber die Community hat einen anderen für dich.'
      : 'Dieser Einladungslink wurde so oft genutzt wie erlaubt, aber die Community hat einen anderen für dich.',
  goneLeadOn: 'Zur aktuellen Einladung',
  rotatedText:
    'Dieser Einladungslink wurde ersetzt. Frag die Person, die ihn geteilt hat, nach dem neuen Link.',
  deletedText: 'Die Community, zu der dieser Einladungslink gehörte, gibt es hier nicht mehr.',
  badRequestTitle: 'Das hat nicht geklappt',
  errorTitle: 'Etwas ist schiefgelaufen',
  errorText: 'Bitte versuch es gleich noch einmal.',
  tooManyTitle: 'Zu viele Versuche',
  problemFallback: 'Das ging so nicht. Lade die Seite neu und versuch es noch einmal.',
  forbiddenTitle: 'Dafür fehlt dir die Berechtigung',
  forbiddenText:
    'Deine Anmeldung erlaubt das nicht. Frag einen Admin dieser Community oder den Inhaber.',
  crossSiteTitle: 'Von einer anderen Website abgeschickt',
  crossSiteText:
    'Dieses Formular kam nicht vom Dashboard selbst, darum wurde nichts geändert. Öffne das Dashboard direkt und versuch es dort noch einmal.',
  crossSitePublicText:
    'Dieser Knopf wurde nicht auf unserer eigenen Seite gedrückt, darum wurde nichts geändert. Öffne den Link, den du bekommen hast, noch einmal und drück den Knopf dort.',
  joinTitle: (name: string) => `${name} beitreten`,
  nameLabel: 'Dein Name',
  phoneLabel: 'Handynummer',
  phoneHint: 'Mit Ländervorwahl, z. B. +49 151 12345678',
  emailLabel: 'E-Mail',
  newsByWhatsAppHint: 'Neuigkeiten der Community kommen per WhatsApp, an eine Telefonnummer.',
  contactHint: 'Telefon oder E-Mail, eins davon genügt.',
  questionsHeading: 'Ein paar Fragen der Admins',
  consentLabel: 'Ich bin einverstanden, dass mich die Community über diese Kontaktdaten erreicht.',
  submitJoin: 'Jetzt beitreten',
  submitRequest: 'Anfrage senden',
  formProblems: 'Bitte prüfe die markierten Angaben.',
  formExpiredBlank:
    'Das Formular war zu lange offen. Bitte füll es noch einmal aus und sende es ab.',
  formExpiredAgain:
    'Das Formular war zu lange offen. Was du eingegeben hast, steht noch da: setze den Haken zur Zustimmung noch einmal und sende es ab.',
  /** What is wrong with a form field, public or dashboard (`lib/field-errors.ts` picks one). */
  fieldProblems: {
    required: 'Bitte fülle dieses Feld aus.',
    tooShort: (min: string) => `Mindestens ${min} Zeichen.`,
    tooLong: (max: string) => `Höchstens ${max} Zeichen.`,
    tooFew: (min: string) => `Wähle mindestens ${min} aus.`,
    tooMany: (max: string) => `Höchstens ${max} Einträge.`,
    number: 'Bitte gib eine ganze Zahl ein.',
    atLeast: (min: string) => `Mindestens ${min}.`,
    atMost: (max: string) => `Höchstens ${max}.`,
    url: 'Eine vollständige Adresse, die mit https:// beginnt.',
    urlCharacters:
      'Nur Buchstaben, Ziffern und die Zeichen einer Webadresse, ohne Leerzeichen: andere Zeichen prozentkodieren (%20 für ein Leerzeichen), den Hostnamen in Punycode (xn--...) schreiben.',
    email: 'Das ist keine gültige E-Mail-Adresse.',
    phone: 'Diese Nummer gibt es so nicht. Schreib sie mit Ländervorwahl, z. B. +49 151 12345678.',
    contactMissing: 'Gib eine Telefonnummer oder eine E-Mail-Adresse an.',
    nameMissing: 'Bitte sag uns deinen Namen.',
    answerMissing: 'Bitte beantworte diese Frage.',
    consentMissing: 'Bitte stimme zu, sonst kann dich die Community nicht erreichen.',
    choice: 'Bitte wähle einen Eintrag aus der Liste.',
    check: 'Bitte prüfe diese Angabe.',
    timeZone: 'Diese Zeitzone kennen wir nicht. Wähle eine aus der Liste.',
    dateOrRule: 'Gib Datum und Uhrzeit an oder wähle eine Wiederholung.',
    inThePast: 'Dieser Zeitpunkt ist schon vorbei. Wähle einen in der Zukunft.',
    nameOnly:
      'Schreib mehr als {name}: Ein Beitrag in einen ganzen Chat und ein Mitglied ohne Namen bekommen den Text ohne ihn.',
    imageCredentials: 'Ein Bildlink darf keinen Benutzernamen und kein Passwort enthalten.',
    imageHost: (hosts: string) => `Bilder nur von ${hosts}.`,
  },
  pendingTitle: 'Deine Anfrage ist eingegangen',
  pendingText:
    'Ein Admin schaut sie sich an. Speichere dir diese Seite: Hier siehst du, wie entschieden wurde.',
  pendingEmailPageText:
    'Du hast mit dem Link in deiner E-Mail bestätigt: Auf der Seite, die er öffnet, siehst du, wie die Admins entschieden haben, sobald sie entschieden haben, und den Weg in den Chat. Diese Seite zeigt es nicht: Sie öffnet sich jedem, der das Formular abgeschickt hat, und das muss nicht der Inhaber der Adresse gewesen sein.',
  pendingProofText:
    'Ein Admin schaut sie sich an. Bestätige unten, dass diese Anmeldung von dir ist, dann erfährst du, wie entschieden wurde.',
  pendingAdminText: 'Ein Admin schaut sie sich an.',
  pendingFullText:
    'Du hast bestätigt, aber die Gruppe ist inzwischen voll: Ein Admin kann dich aufnehmen, sobald Platz ist. Behalte diese Seite: Sie zeigt dir die Entscheidung.',
  /** We see up to a group's chat link, never who enters the group: the place is what is sure. */
  approvedTitle: 'Dein Platz ist bestätigt',
  openChat: 'Zum Gruppenchat',
  noChatYet:
    'Der Link zum Chat ist noch nicht hinterlegt. Schau später wieder auf diese Seite: Sobald die Admins ihn eintragen, steht er hier.',
  rejectedTitle: 'Deine Anfrage wurde abgelehnt',
  rejectedReason: (reason: string) => `Begründung: ${reason}`,
  endedTitle: 'Du bist nicht mehr Mitglied',
  endedText:
    'Wir schicken dir keine Nachrichten mehr für diese Community, und du stehst nicht mehr auf ihrer Mitgliederliste.',
  /** A membership a STOP ended: what brings it back, as the chat's answer to the STOP says. */
  optedOutText: (start: string) =>
    `Du hast dich in WhatsApp abgemeldet. Um unsere Nachrichten wieder zu bekommen, schick ${start} von derselben Nummer an unsere WhatsApp-Nummer.`,
  resumeButton: (start: string) => `${start} in WhatsApp senden`,
  /**
   * A membership ended by a stop made in WhatsApp itself: only allowing our marketing messages
   * there again undoes it, never a message to us.
   */
  stoppedInWhatsAppText:
    'Du hast Werbenachrichten von uns in WhatsApp selbst gestoppt, und nur dort kannst du sie wieder erlauben: in unserem Chat in WhatsApp auf unseren Namen tippen, dann „Angebote und Ankündigungen“ wieder einschalten. Deine Mitgliedschaft kommt dann von selbst zurück; eine Nachricht an uns kann das nicht.',
  openOurChatButton: 'Unseren Chat in WhatsApp öffnen',
  chatStaysText:
    'Aus dem WhatsApp-Chat selbst können wir niemanden entfernen. Bist du dort noch drin, verlässt du ihn in WhatsApp: Gruppe öffnen, auf ihren Namen tippen, dann „Gruppe verlassen“. Für die ganze Community: in der Community-Info „Community verlassen“.',
  referralHeading: 'Lade Freunde ein',
  referralText: 'Dein persönlicher Link. Wer darüber beitritt, zählt für dich.',
  referralQrAlt: 'QR-Code deines Einladungslinks',
  telegramStartHeading: 'Unsere Nachrichten auf Telegram',
  telegramStartText:
    'Starte unseren Bot auf Telegram, und er schickt dir unsere Ankündigungen in einem privaten Chat. Mit /stop hörst du jederzeit auf.',
  telegramStartLink: 'Bot auf Telegram starten',
  shareWhatsApp: 'Über WhatsApp teilen',
  shareTelegram: 'Über Telegram teilen',
  copyLink: 'Link kopieren',
  copied: 'Kopiert',
  /** The message a share opens, ready to send with the link: the person's words to a friend. */
  shareMessage: (community: string) => `Mach mit bei ${community}!`,
  referredSoFar: (n: string) =>
    n === '1'
      ? 'Über deinen Link ist bisher 1 Person beigetreten.'
      : `Über deinen Link sind bisher ${n} Personen beigetreten.`,
  nextRewardHeading: 'Deine nächste Belohnung',
  nextRewardIn: (n: string) =>
    n === '1' ? 'Noch 1 Person, dann bekommst du:' : `Noch ${n} Personen, dann bekommst du:`,
  nextRewardOnceStayed: (n: string, days: string) =>
    `Sobald ${n === '1' ? '1 Person' : `${n} Personen`}, die über deinen Link beigetreten ${n === '1' ? 'ist' : 'sind'}, ${days === '1' ? 'einen Tag' : `${days} Tage`} dabei ${n === '1' ? 'ist' : 'sind'}, bekommst du:`,
  rewardsHeading: 'Deine Belohnungen',
  leaveLink: 'Mitgliedschaft beenden',
  leaveTitle: 'Mitgliedschaft beenden?',
  leaveText:
    'Danach schicken wir dir keine Nachrichten mehr für diese Community, du stehst nicht mehr auf ihrer Mitgliederliste, und dein persönlicher Einladungslink funktioniert endgültig nicht mehr. Zurück kommst du, indem du dich neu anmeldest, wie jemand Neues.',
  leaveButton: 'Ja, beenden',
  leftTitle: 'Deine Mitgliedschaft ist beendet',
  thanksTitle: 'Danke!',
  /** A join the form cannot fix: declined a moment ago, a full group, a race lost. */
  coolingOffText: (date: string) =>
    `Deine letzte Anfrage wurde abgelehnt. Du kannst ab ${date} wieder fragen.`,
  /** Below a rejection the page already states: only when asking again is possible. */
  askAgainText: (date: string) => `Neu anfragen kannst du ab ${date}.`,
  groupFullText: 'Diese Gruppe ist voll. Frag die Admins nach einem Link zu einer anderen Gruppe.',
  conflictText: 'Das hat gerade nicht geklappt. Bitte schick das Formular noch einmal ab.',
  challengeText:
    'Gerade treten sehr viele Menschen aus deinem Netz bei. Bitte bestätige kurz, dass du ein Mensch bist, und schick das Formular noch einmal ab.',
  confirmTitle: 'Bitte bestätige deine Anmeldung',
  /** What the sign-up gave, to be confirmed as the person's own. */
  contactsGiven: { phone: 'die Nummer', email: 'die Adresse', both: 'die Nummer oder Adresse' },
  confirmText: (contact: string) =>
    `Erst wenn du bestätigst, dass ${contact} dir gehört, bist du dabei. Ohne Bestätigung löschen wir deine Anmeldung.`,
  confirmClosedText: (contact: string) =>
    `Sobald du bestätigst, dass ${contact} dir gehört, geht deine Anfrage an die Admins. Ohne Bestätigung löschen wir deine Anmeldung.`,
  confirmWhatsAppButton: 'In WhatsApp bestätigen',
  confirmWhatsAppText: (code: string) =>
    `Tippe auf den Knopf und sende die vorbereitete Nachricht mit dem Code ${code} ab.`,
  /** Beside the QR code, shown only where a pointer is a mouse: no phone scans its own screen. */
  confirmWhatsAppOnComputer: 'Am Computer: QR-Code mit dem Handy scannen.',
  confirmPrefill: (community: string, code: string) =>
    `Ich möchte der Community ${community} beitreten. Code: ${code}`,
  confirmQrAlt: 'QR-Code, der WhatsApp mit der Bestätigung öffnet',
  confirmEmailText: (address: string) =>
    `Eine E-Mail mit einem Bestätigungslink ist auf dem Weg an ${address}.`,
  confirmEmailWrongAddress: 'Nicht deine Adresse? Melde dich mit der richtigen noch einmal an.',
  confirmWhatsAppSentText:
    'Wir haben dir eine WhatsApp-Nachricht geschickt: Tippe darin auf den Knopf, um zu bestätigen.',
  confirmNoWhatsAppText: 'Deine Nummer lässt sich hier nicht per WhatsApp bestätigen.',
  confirmNoEmailText:
    'Von hier werden keine E-Mails verschickt, deine Adresse lässt sich also nicht per E-Mail bestätigen.',
  confirmNoWayText:
    'Hier lässt sich deine Anmeldung weder per WhatsApp noch per E-Mail bestätigen.',
  confirmInsteadWhatsAppText: 'Bitte bestätige stattdessen per WhatsApp.',
  confirmInsteadEmailText: 'Bitte bestätige stattdessen mit dem Link aus der E-Mail.',
  confirmAskAdminsText:
    'Bitte wende dich an die Admins der Community, damit sie deine Bestätigung eintragen.',
  confirmUntil: (when: string) => `Gültig bis ${when}.`,
  confirmOtherText:
    'Eine deiner Kontaktangaben ist noch nicht bestätigt. Nachrichten gehen nur an bestätigte Kontakte: Bestätige sie hier, wenn du sie auch dort bekommen möchtest.',
  proofForLinksText:
    'Deinen persönlichen Einladungslink (wer darüber beitritt, zählt für dich) und den Link zum Austreten zeigen wir dir hier, sobald du bestätigst, dass diese Anmeldung von dir ist.',
  linksAwaitHeading: 'Dein Einladungslink',
  linksOnEmailPageText:
    'Deinen persönlichen Einladungslink und den Link zum Austreten findest du auf der Seite, die der Link in deiner E-Mail öffnet.',
  linksOnEmailPageLaterText:
    'Sobald du dabei bist, zeigt dir die Seite, die der Link in deiner E-Mail öffnet, den Chat, deinen persönlichen Einladungslink und den Link zum Austreten.',
  linksNotHereText:
    'Deinen persönlichen Einladungslink und den Link zum Austreten sieht nur, wer diese Anmeldung über das WhatsApp ihrer Nummer oder mit einem an ihre Adresse geschickten Link bestätigt, und beides ist hier nicht eingerichtet.',
  proofOfferEndedText:
    'Diese Seite kann das nicht mehr bestätigen. Melde dich über den Einladungslink noch einmal mit derselben Nummer oder Adresse an: Wo sich dafür ein neuer Code oder eine E-Mail senden lässt, zeigt dir deren Bestätigung deine Links.',
  confirmLinkTitle: 'Anmeldung bestätigen?',
  confirmLinkText:
    'Mit einem Klick bestätigst du, dass diese Adresse dir gehört und du Nachrichten möchtest.',
  confirmLinkButton: 'Ja, bestätigen',
  confirmedTitle: 'Danke, du hast bestätigt',
  confirmedInLinksText:
    'Dein Platz ist bestätigt. Bewahre die E-Mail auf: Ihr Link führt dich wieder hierher, zu deinem persönlichen Einladungslink und dem Link zum Austreten.',
  confirmedInNoLinksText: 'Dein Platz ist bestätigt.',
  keepEmailText:
    'Bewahre die E-Mail auf: Ihr Link führt dich wieder hierher, zu deinem persönlichen Einladungslink und dem Link zum Austreten.',
  confirmedWaitingText:
    'Deine Anfrage ist jetzt bei den Admins. Bewahre die E-Mail auf: Ihr Link führt dich wieder auf diese Seite, und hier siehst du, wie sie entschieden haben.',
  confirmedDeclinedText: 'Die Admins haben deine Anfrage abgelehnt.',
  confirmExpiredText:
    'Diese Anmeldung ist abgelaufen. Du kannst dich über den Einladungslink neu anmelden.',
  consentMethods: {
    whatsapp_message: 'WhatsApp-Nachricht',
    whatsapp_button: 'WhatsApp-Knopf',
    email_link: 'E-Mail-Link',
    single_opt_in: 'Formular (Single-Opt-in)',
    admin: 'Von einem Admin erfasst',
    telegram_join: 'Telegram-Beitritt (von Telegram gemeldet)',
  },
  leaveReasonLabel: 'Magst du uns sagen, warum? (freiwillig)',
  leaveReasons: {
    too_many_messages: 'Zu viele Nachrichten',
    not_relevant: 'Nicht relevant für mich',
    joined_by_mistake: 'Aus Versehen beigetreten',
    other: 'Etwas anderes',
  },
}

export type Messages = typeof de
