/**
 * The per-recipient report's filter: each recipient once, by how far their message got now,
 * where the announcements list counts every step reached (a read message was sent and delivered
 * too). German first: the first market, and the default.
 */
export const announcementReportDe = {
  filterHint:
    'Jeder Empfänger einmal, danach, wie weit seine Nachricht jetzt ist: „nur gesendet“ ist noch nicht zugestellt, „zugestellt“ noch nicht gelesen. Die Liste der Ankündigungen zählt jeden erreichten Schritt: Eine gelesene Nachricht ist dort auch gesendet und zugestellt.',
  reached: (sent: string, delivered: string, read: string) =>
    `Erreicht: gesendet ${sent} · zugestellt ${delivered} · gelesen ${read}`,
  onlySent: 'nur gesendet',
  deliveredNotRead: 'zugestellt, ungelesen',
}

export type AnnouncementReportWords = typeof announcementReportDe

/** The same, in English. */
export const announcementReportEn: AnnouncementReportWords = {
  filterHint:
    'Each recipient once, by how far their message has got now: “only sent” is not delivered yet, “delivered” not read yet. The announcements list counts every step reached: there a read message counts as sent and delivered too.',
  reached: (sent: string, delivered: string, read: string) =>
    `Reached: sent ${sent} · delivered ${delivered} · read ${read}`,
  onlySent: 'only sent',
  deliveredNotRead: 'delivered, not read',
}
