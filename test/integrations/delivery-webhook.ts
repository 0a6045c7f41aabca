import { inject } from 'vitest'

/** What the integration tests share of the webhook delivery channel and its receiver stand-in. */

/** The Turnstile token the stand-in passes. */
export const HUMAN = 'human-token'

/** `DELIVERY_WEBHOOK_SECRET` as the tests configure it: what the receiver verifies with. */
export const DELIVERY_SECRET = 'whsec_dGVzdC1kZWxpdmVyeS1zZWNyZXQtMDEyMzQ1Njc4OQ=='

interface ReceivedWebhook {
  path: string
  headers: Record<string, string>
  body: string
}

const fake = inject('fakeServicesUrl')

/** The requests the receiver stand-in got at `/webhook` whose JSON body `filter` takes. */
export async function receivedWebhooks(
  filter: (payload: any) => boolean,
): Promise<ReceivedWebhook[]> {
  const all = (await (await fetch(`${fake}/__requests?path=/webhook`)).json()) as ReceivedWebhook[]
  return all.filter((request) => filter(JSON.parse(request.body)))
}
