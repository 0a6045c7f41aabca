/**
 * When each recipient's message was sent, delivered, read or failed (the report per recipient),
 * and what the announcements list's shares are shares of. German first: the first market, and
 * the default.
 */
export const announcementReceiptsDe = {
  when: 'Wann',
  steps: {
    sent: 'Gesendet',
    delivered: 'Zugestellt',
    read: 'Gelesen',
    failed: 'Fehlgeschlagen',
  },
  stepsHint:
    'Zeiten in der Zeitzone der Community, soweit gemeldet: WhatsApp meldet eine Nachricht manchmal als gelesen, ohne sie vorher als zugestellt zu melden.',
  shareBasis:
    'Die Prozente unter Zugestellt und Gelesen sind Anteile an Gesendet, also an den Mitgliedern, an die die Ankündigung gesendet wurde (über einen Kanal, der das meldet). Eine gelesene Nachricht zählt auch als zugestellt.',
}

export type AnnouncementReceiptWords = typeof announcementReceiptsDe

/** The same, in English. */
export const announcementReceiptsEn: AnnouncementReceiptWords = {
  when: 'When',
  steps: {
    sent: 'Sent',
    delivered: 'Delivered',
    read: 'Read',
    failed: 'Failed',
  },
  stepsHint:
    'Times in the community’s time zone, as far as reported: WhatsApp sometimes reports a message read without reporting it delivered first.',
  shareBasis:
    'The percentages under Delivered and Read are shares of Sent: of the members the announcement was sent to (through a channel that reports it). A read message counts as delivered too.',
}
