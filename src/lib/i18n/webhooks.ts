/** The webhooks page's own words, in German: the first market, and the default. */
export const webhooksDe = {
  remove: 'Abbestellen',
  confirmRemove: (url: string) =>
    `${url} abbestellen? Es bekommt keine Ereignisse mehr; was schon unterwegs ist, wird nicht mehr zugestellt.`,
  removedNotice: 'Der Endpunkt ist abbestellt: Er bekommt keine Ereignisse mehr.',
  sentAt: 'Zuletzt versucht',
}

export type WebhooksWords = typeof webhooksDe

/** The same, in English. */
export const webhooksEn: WebhooksWords = {
  remove: 'Unsubscribe',
  confirmRemove: (url) =>
    `Unsubscribe ${url}? It gets no more events; what is still on its way is not delivered.`,
  removedNotice: 'The endpoint is unsubscribed: it gets no more events.',
  sentAt: 'Last tried',
}
