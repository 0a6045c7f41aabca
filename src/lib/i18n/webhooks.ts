/** The webhooks page's own words, in German: the first market, and the default. */
export const webhooksDe = {
  remove: 'Abbestellen',
  confirmRemove: (url: string) =>
    `Den Endpunkt ${url} abbestellen? Er bekommt keine Ereignisse mehr; was schon unterwegs ist, wird nicht mehr zugestellt.`,
  removedNotice: 'Der Endpunkt ist abbestellt: Er bekommt keine Ereignisse mehr.',
  sentAt: 'Zuletzt versucht',
  event: 'Ereignis',
  status: 'Stand',
  answer: 'Antwort (HTTP)',
  reason: 'Grund',
  forCommunity: 'Für die Community',
  forAll: 'Für alle Communities',
  subscribedBy: 'Abonniert von',
  redeliver: 'Erneut senden',
  newEndpoint: 'Neuer Endpunkt',
  newEndpointHint:
    'Jedes Ereignis kommt als POST nach Standard Webhooks, signiert mit dem Geheimnis, das nach dem Anlegen einmal erscheint (Kopfzeilen webhook-id, webhook-timestamp, webhook-signature).',
  redeliveredNotice:
    'Das Ereignis ist wieder unterwegs, mit derselben webhook-id und allen Versuchen von vorn; sein Stand steht unten.',
  stopped: (when: string) =>
    `Angehalten seit ${when}: Der Empfänger hat mit 410 Gone geantwortet, er will also keine Ereignisse mehr. Bis du ihn fortsetzt, geht nichts an ihn außer Testereignissen; was solange kommt, steht unten als fehlgeschlagen und lässt sich danach erneut senden.`,
  onlyThese: 'Oder nur diese:',
  resume: 'Fortsetzen',
  resumedNotice: 'Fortgesetzt: Neue Ereignisse gehen wieder an den Endpunkt.',
  test: 'Testereignis senden',
  testArrived: (status: number | null) =>
    `Das Testereignis ist angekommen${status ? `: Der Empfänger hat mit HTTP ${status} geantwortet` : ''}.`,
  testMissed: (reason: string) => `Das Testereignis ist nicht angekommen: ${reason}.`,
  testRefused: (reason: string) =>
    `Der Empfänger hat das Testereignis abgelehnt: ${reason}. Prüfe, ob er das Geheimnis dieses Endpunkts zum Prüfen der Signatur verwendet.`,
  testWait: (seconds: number) =>
    `Schon sechs Testereignisse in dieser Minute: Das nächste geht in ${seconds} Sekunden.`,
}

export type WebhooksWords = typeof webhooksDe

/** The same, in English. */
export const webhooksEn: WebhooksWords = {
  remove: 'Unsubscribe',
  confirmRemove: (url) =>
    `Unsubscribe the endpoint ${url}? It gets no more events; what is still on its way is not delivered.`,
  removedNotice: 'The endpoint is unsubscribed: it gets no more events.',
  sentAt: 'Last tried',
  event: 'Event',
  status: 'Status',
  answer: 'Answer (HTTP)',
  reason: 'Reason',
  forCommunity: 'For the community',
  forAll: 'For every community',
  subscribedBy: 'Subscribed by',
  redeliver: 'Send again',
  newEndpoint: 'New endpoint',
  newEndpointHint:
    'Each event arrives as a POST under Standard Webhooks, signed with the secret shown once after you add the endpoint (headers webhook-id, webhook-timestamp, webhook-signature).',
  redeliveredNotice:
    'The event is on its way again, with the same webhook-id and every attempt from the start; its status shows below.',
  stopped: (when) =>
    `Stopped since ${when}: the receiver answered 410 Gone, which says it wants no more events. Nothing but test events goes to it until you resume it; what comes meanwhile shows below as failed, to send again after.`,
  onlyThese: 'Or only these:',
  resume: 'Resume',
  resumedNotice: 'Resumed: new events go to the endpoint again.',
  test: 'Send a test event',
  testArrived: (status) =>
    `The test event arrived${status ? `: the receiver answered HTTP ${status}` : ''}.`,
  testMissed: (reason) => `The test event did not arrive: ${reason}.`,
  testRefused: (reason) =>
    `The receiver refused the test event: ${reason}. Check that it verifies signatures with the secret of this endpoint.`,
  testWait: (seconds) =>
    `Six test events this minute already: the next can go in ${seconds} seconds.`,
}
