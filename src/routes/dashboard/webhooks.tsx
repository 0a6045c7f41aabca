import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { readForm } from '../../lib/forms'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, ownScope } from '../../services/access'
import { listCommunities } from '../../services/communities'
import { EVENT_TYPES } from '../../db/schema'
import { signingSecret } from '../../lib/config'
import { CreateWebhookSchema } from '../../schemas/announcements'
import {
  createWebhookEndpoint,
  listWebhookEndpoints,
  recentWebhookDeliveries,
} from '../../services/webhooks'
import { Csrf, words } from '../../views/dashboard'
import { lang, formText, shell, refuse } from './page'

/** Webhook endpoints for the events outbox, with their secret shown once. */
export const webhooksApp = new Hono<AppEnv>()

async function webhooksPage(c: Context<AppEnv>, secret?: { url: string; value: string }) {
  const t = words(lang(c))
  const principal = c.var.principal
  const scope = ownScope(principal)
  assertCan(principal, 'webhooks.manage', scope)
  const [endpoints, communities] = await Promise.all([
    listWebhookEndpoints(c.var.db, scope?.communityId ?? null),
    listCommunities(c.var.db, principal, { limit: 100 }),
  ])
  const logs = await Promise.all(
    endpoints.map((endpoint) => recentWebhookDeliveries(c.var.db, endpoint.id, 10)),
  )
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    t.webhooks,
    <>
      <h1>{t.webhooks}</h1>
      {secret && (
        <section class="ok" role="status">
          <p>
            <bdi>{secret.url}</bdi> · {t.secretOnce}
          </p>
          <p class="code">{secret.value}</p>
        </section>
      )}
      {endpoints.length === 0 && (
        <section>
          <p class="muted">{t.noWebhooks}</p>
        </section>
      )}
      {endpoints.map((endpoint, i) => (
        <section>
          <h2 class="code">{endpoint.url}</h2>
          <p class="muted">
            {endpoint.events.map((type, i) => (
              <>
                {i > 0 && ', '}
                <code>{type}</code>
              </>
            ))}
          </p>
          {logs[i]!.length === 0 && <p class="muted">{t.noDeliveries}</p>}
          <table>
            <tbody>
              {logs[i]!.map((row) => (
                <tr>
                  <td>
                    <code>{row.type}</code>
                  </td>
                  <td>{t.deliveryStatuses[row.status]}</td>
                  <td class="n">{row.responseStatus ?? '–'}</td>
                  <td class="muted">{row.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <section>
        <form method="post" action="/admin/webhooks">
          <Csrf token={csrf} />
          <label for="url">{t.endpoint}</label>
          <input id="url" name="url" type="url" required class="wide" placeholder="https://" />
          <label for="communityId">{t.communities}</label>
          <select id="communityId" name="communityId">
            {can(principal, 'webhooks.manage') && <option value="">{t.all}</option>}
            {communities.data
              .filter((community) =>
                can(principal, 'webhooks.manage', { communityId: community.id }),
              )
              .map((community) => (
                <option value={community.id}>{community.name}</option>
              ))}
          </select>
          <fieldset>
            <legend>{t.events}</legend>
            {EVENT_TYPES.map((type) => (
              <label class="muted plain">
                <input type="checkbox" name="events" value={type} checked /> <code>{type}</code>
              </label>
            ))}
          </fieldset>
          <p>
            <button type="submit">{t.create}</button>
          </p>
        </form>
      </section>
    </>,
  )
}

webhooksApp.get('/admin/webhooks', (c) => webhooksPage(c))

/** The endpoint's secret is on the answer to this POST only (no redirect): shown once. */
webhooksApp.post('/admin/webhooks', async (c) => {
  const form = await readForm(c)
  const parsed = CreateWebhookSchema.safeParse({
    url: formText(form, 'url'),
    events: form.events === undefined ? [] : ([] as unknown[]).concat(form.events).map(String),
    communityId: formText(form, 'communityId'),
  })
  if (!parsed.success) refuse(parsed.error.issues)
  assertCan(
    c.var.principal,
    'webhooks.manage',
    parsed.data.communityId ? { communityId: parsed.data.communityId } : undefined,
  )
  const { secret } = await createWebhookEndpoint(
    c.var.db,
    {
      url: parsed.data.url,
      events: parsed.data.events,
      communityId: parsed.data.communityId ?? null,
    },
    { signingSecret: signingSecret(c.var.config), allowHttp: c.var.config.ALLOW_HTTP_WEBHOOKS },
    new Date(),
  )
  return webhooksPage(c, { url: parsed.data.url, value: secret })
})
