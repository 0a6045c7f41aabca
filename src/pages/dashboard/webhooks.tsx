import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { readForm } from '../../lib/forms'
import { answerOf, auditDetail, auditTarget } from '../../middleware/audit-trail'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, ownScope } from '../../services/access'
import { communityNamesQuery, listCommunitiesQuery } from '../../services/communities'
import { chunks, ID_CHUNK } from '../../lib/chunks'
import { toPage } from '../../lib/pagination'
import { EVENT_TYPES } from '../../db/schema'
import { signingSecret } from '../../lib/config'
import { fieldMessages } from '../../lib/field-errors'
import { checkOutboundUrl } from '../../lib/outbound'
import { CreateWebhookSchema } from '../../schemas/announcements'
import {
  createWebhookEndpoint,
  disableWebhookEndpoint,
  getWebhookEndpointOrThrow,
  endpointMakersQuery,
  listWebhookEndpoints,
  recentWebhookDeliveries,
  redeliverEvent,
  resumeWebhookEndpoint,
  withShownReasons,
} from '../../services/webhooks'
import { endpointRefusedText, WEBHOOKS_WORDS, type Lang } from '../../lib/i18n'
import { ApiError } from '../../lib/errors'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { ActionButton, CopyButton } from '../../views/dashboard/frame'
import { z } from 'zod'
import { deliveryReasonText } from '../../lib/i18n/delivery-reasons'
import { sendTestEvent, type TestEventOutcome } from '../../services/delivery/events'
import { Csrf, words } from '../../views/dashboard/shell'
import { FieldError, fieldAttributes, sentText, type FormState } from '../../views/form-fields'
import { lang, formText, shell, inLanguage, idOrThrow, withNotice } from './page'

/** Webhook endpoints for the events outbox, with their secret shown once. */
export const webhooksPages = new Hono<AppEnv>()

/**
 * The endpoints with their recent deliveries, and the form for a new one: with the new one's
 * secret once it is made, or as it was sent, each refused field's message beside it.
 */
async function webhooksPage(
  c: Context<AppEnv>,
  outcome?:
    | { secret: { url: string; value: string } }
    | { refused: FormState }
    | { tested: { endpointId: string; outcome: TestEventOutcome | { waitSeconds: number } } },
) {
  const t = words(lang(c))
  const own = WEBHOOKS_WORDS[lang(c)]
  const secret = outcome && 'secret' in outcome ? outcome.secret : undefined
  const form = outcome && 'refused' in outcome ? outcome.refused : undefined
  const tested = outcome && 'tested' in outcome ? outcome.tested : undefined
  // Every event by default: an endpoint for a partner system wants what comes later too.
  const events = form?.values.events ?? ['*']
  const principal = c.var.principal
  const scope = ownScope(principal)
  assertCan(principal, 'webhooks.manage', scope)
  // The endpoints and the communities to choose from in one round trip; then the deliveries of
  // each endpoint in one more, however many endpoints there are (D1 allows 1,000 per request).
  // Reading them with the endpoints would take one query over every endpoint's deliveries, not
  // an index search of ten each.
  const [endpoints, communityRows, makerRows] = await c.var.db.batch([
    listWebhookEndpoints(c.var.db, scope?.communityId ?? null),
    listCommunitiesQuery(c.var.db, principal, { limit: 100 }),
    endpointMakersQuery(c.var.db, scope?.communityId ?? null),
  ])
  const makerOf = new Map(makerRows.map((row) => [row.endpointId, row.name]))
  const communities = toPage(communityRows, 100)
  const communityOf = new Map<string, { name: string; timeZone: string }>(
    communities.data.map((community) => [community.id, community]),
  )
  // An owner's endpoints of communities past the first hundred listed: their names read too
  // (a round trip more, on an installation of that many communities only).
  const unlisted = [...new Set(endpoints.flatMap((endpoint) => endpoint.communityId ?? []))].filter(
    (id) => !communityOf.has(id),
  )
  if (unlisted.length > 0) {
    const [first, ...rest] = chunks(unlisted, ID_CHUNK).map((ids) =>
      communityNamesQuery(c.var.db, ids),
    )
    for (const rows of await c.var.db.batch([first!, ...rest]))
      for (const row of rows) communityOf.set(row.id, row)
  }
  // A community's endpoint on its clock, as its other pages show moments; one for every
  // community on UTC, its zone named either way.
  const clockOf = (endpoint: { communityId: string | null }) =>
    (endpoint.communityId && communityOf.get(endpoint.communityId)?.timeZone) || 'UTC'
  const [first, ...rest] = endpoints.map((endpoint) =>
    recentWebhookDeliveries(c.var.db, endpoint.id, 10),
  )
  const logs = first ? await c.var.db.batch([first, ...rest]) : []
  const csrf = await csrfTokenFor(c)
  const mayManage = (endpoint: { communityId: string | null }) =>
    can(principal, 'webhooks.manage', scopeOf(endpoint))
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
          <CopyButton lang={lang(c)} text={secret.value} />
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
          {endpoint.goneAt && (
            <p class="warn" role="status">
              {own.stopped(
                formatMoment(lang(c), endpoint.goneAt, clockOf(endpoint), { zone: true }),
              )}
            </p>
          )}
          {mayManage(endpoint) && (
            <p>
              {endpoint.goneAt && (
                <ActionButton
                  action={inLanguage(c, `/admin/webhooks/${endpoint.id}/resume`)}
                  csrf={csrf}
                  label={own.resume}
                />
              )}{' '}
              <ActionButton
                action={inLanguage(c, `/admin/webhooks/${endpoint.id}/test`)}
                csrf={csrf}
                label={own.test}
                kind="secondary"
              />{' '}
              <ActionButton
                action={inLanguage(c, `/admin/webhooks/${endpoint.id}/remove`)}
                csrf={csrf}
                label={own.remove}
                kind="danger"
                confirm={own.confirmRemove(endpoint.url)}
              />
            </p>
          )}
          {tested?.endpointId === endpoint.id && (
            <TestOutcome lang={lang(c)} outcome={tested.outcome} />
          )}
          <p>
            {endpoint.communityId === null ? (
              own.forAll
            ) : (
              <>
                {own.forCommunity}{' '}
                <bdi>{communityOf.get(endpoint.communityId)?.name ?? endpoint.communityId}</bdi>
              </>
            )}
            {makerOf.has(endpoint.id) && (
              <>
                {' · '}
                {own.subscribedBy} <bdi>{makerOf.get(endpoint.id)}</bdi>
              </>
            )}
          </p>
          <p class="muted">
            {endpoint.events.map((type, i) => (
              <>
                {i > 0 && ', '}
                {/* The subscription to everything, said in words rather than as its wildcard. */}
                {type === '*' ? t.allEvents : <code>{type}</code>}
              </>
            ))}
          </p>
          {logs[i]!.length === 0 ? (
            <p class="muted">{t.noDeliveries}</p>
          ) : (
            <div class="table-scroll">
              <table class="deliveries cards">
                <thead>
                  <tr>
                    <th>{own.event}</th>
                    <th>{own.status}</th>
                    <th class="n">{own.answer}</th>
                    <th>{own.reason}</th>
                    <th>{own.sentAt}</th>
                    {mayManage(endpoint) && <th></th>}
                  </tr>
                </thead>
                <tbody>
                  {withShownReasons(logs[i]!).map((row) => (
                    <tr>
                      <td data-label={own.event}>
                        <code>{row.type}</code>
                      </td>
                      <td data-label={own.status}>{t.deliveryStatuses[row.status]}</td>
                      <td class="n" data-label={own.answer}>
                        {row.responseStatus ?? '–'}
                      </td>
                      <td class="muted" data-label={own.reason}>
                        {/* An HTTP status is in the answer's column already. */}
                        {row.lastError === null ||
                        row.lastError === `HTTP ${row.responseStatus} from the endpoint`
                          ? ''
                          : deliveryReasonText(lang(c), row.lastError)}
                      </td>
                      <td class="muted" data-label={own.sentAt}>
                        <time datetime={row.updatedAt.toISOString()}>
                          {formatMoment(lang(c), row.updatedAt, clockOf(endpoint), { zone: true })}
                        </time>
                      </td>
                      {mayManage(endpoint) && (
                        <td>
                          {/* Where a receiver missed it; `POST …/redeliver` takes a sent one too. */}
                          {!endpoint.goneAt &&
                            (row.status === 'failed' || row.status === 'unknown') && (
                              <ActionButton
                                action={inLanguage(
                                  c,
                                  `/admin/webhooks/${endpoint.id}/deliveries/${row.eventId}/redeliver`,
                                )}
                                csrf={csrf}
                                label={own.redeliver}
                                kind="secondary"
                              />
                            )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ))}
      <section>
        <h2>{own.newEndpoint}</h2>
        <p class="muted">{own.newEndpointHint}</p>
        <form method="post" action={inLanguage(c, '/admin/webhooks')}>
          <Csrf token={csrf} />
          <label for="url">{t.endpoint}</label>
          <input
            id="url"
            name="url"
            type="url"
            required
            class="wide"
            placeholder="https://"
            {...fieldAttributes(form, 'url')}
          />
          <FieldError form={form} field="url" />
          <label for="communityId">{t.community}</label>
          <select
            id="communityId"
            name="communityId"
            {...fieldAttributes(form, 'communityId', { withValue: false })}
          >
            {can(principal, 'webhooks.manage') && <option value="">{t.all}</option>}
            {communities.data
              .filter((community) =>
                can(principal, 'webhooks.manage', { communityId: community.id }),
              )
              .map((community) => (
                <option
                  value={community.id}
                  selected={community.id === sentText(form, 'communityId')}
                >
                  {community.name}
                </option>
              ))}
          </select>
          <FieldError form={form} field="communityId" />
          <fieldset aria-describedby={form?.errors.events ? 'events-error' : undefined}>
            <legend>{t.events}</legend>
            <FieldError form={form} field="events" />
            <label class="plain">
              <input type="checkbox" name="events" value="*" checked={events.includes('*')} />{' '}
              {t.allEvents}
            </label>
            <p class="muted">{own.onlyThese}</p>
            {EVENT_TYPES.map((type) => (
              <label class="muted plain">
                <input type="checkbox" name="events" value={type} checked={events.includes(type)} />{' '}
                <code>{type}</code>
              </label>
            ))}
          </fieldset>
          <p>
            <button type="submit">{t.create}</button>
          </p>
        </form>
      </section>
    </>,
    form ? 400 : 200,
    // Answering a form, the page takes its own address: a reload shows it, sending nothing again.
    '/admin/webhooks',
  )
}

webhooksPages.get('/admin/webhooks', (c) => webhooksPage(c))

/** An installation-wide endpoint belongs to no community: only owners manage it. */
function scopeOf(endpoint: { communityId: string | null }) {
  return endpoint.communityId ? { communityId: endpoint.communityId } : undefined
}

const WebhookId = z.string().regex(idPattern('whk'))

/**
 * Unsubscribes an endpoint, as `DELETE /api/webhooks/{id}` does: one of a community this admin
 * does not see is not found, as one that does not exist.
 */
webhooksPages.post('/admin/webhooks/:id/remove', async (c) => {
  const id = idOrThrow(WebhookId, c.req.param('id'))
  const endpoint = await getWebhookEndpointOrThrow(c.var.db, id)
  assertCan(c.var.principal, 'webhooks.manage', scopeOf(endpoint), 'Webhook endpoint')
  await disableWebhookEndpoint(c.var.db, endpoint, new Date())
  return c.redirect(inLanguage(c, withNotice('/admin/webhooks', 'webhookRemoved')), 303)
})

/** Sends events again to an endpoint that answered 410 Gone, as `POST /api/webhooks/{id}/resume`. */
webhooksPages.post('/admin/webhooks/:id/resume', async (c) => {
  const id = idOrThrow(WebhookId, c.req.param('id'))
  const endpoint = await getWebhookEndpointOrThrow(c.var.db, id)
  assertCan(c.var.principal, 'webhooks.manage', scopeOf(endpoint), 'Webhook endpoint')
  answerOf(c, endpoint, await resumeWebhookEndpoint(c.var.db, endpoint))
  return c.redirect(inLanguage(c, withNotice('/admin/webhooks', 'webhookResumed')), 303)
})

/**
 * Sends the endpoint a test event, as `POST /api/webhooks/{id}/test`, and says how it went in its
 * section; past the minute's test events, how long until the next may go.
 */
webhooksPages.post('/admin/webhooks/:id/test', async (c) => {
  const id = idOrThrow(WebhookId, c.req.param('id'))
  const endpoint = await getWebhookEndpointOrThrow(c.var.db, id)
  assertCan(c.var.principal, 'webhooks.manage', scopeOf(endpoint), 'Webhook endpoint')
  let outcome: TestEventOutcome | { waitSeconds: number }
  try {
    outcome = await sendTestEvent(c.var.db, c.var.config, endpoint, new Date())
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'rate_limited') throw error
    outcome = { waitSeconds: Number(error.headers?.['retry-after'] ?? 60) }
  }
  return webhooksPage(c, { tested: { endpointId: endpoint.id, outcome } })
})

/** How a test event went, in the endpoint's section. */
function TestOutcome(props: { lang: Lang; outcome: TestEventOutcome | { waitSeconds: number } }) {
  const own = WEBHOOKS_WORDS[props.lang]
  const { outcome } = props
  if ('waitSeconds' in outcome) {
    return (
      <p class="warn" role="status">
        {own.testWait(outcome.waitSeconds)}
      </p>
    )
  }
  return (
    <p class={outcome.delivered ? 'ok' : 'err'} role="status">
      {outcome.delivered
        ? own.testArrived(outcome.responseStatus)
        : // It reached the receiver, which said no as Standard Webhooks libraries answer a
          // signature they cannot verify: the usual cause is the secret.
          ([400, 401, 403].includes(outcome.responseStatus ?? 0)
            ? own.testRefused
            : own.testMissed)(deliveryReasonText(props.lang, outcome.reason ?? 'delivery failed'))}
    </p>
  )
}

const EventId = z.string().regex(idPattern('evt'))

/** Sends one event to the endpoint again, as `POST /api/webhooks/{id}/deliveries/{eventId}/redeliver`. */
webhooksPages.post('/admin/webhooks/:id/deliveries/:eventId/redeliver', async (c) => {
  const id = idOrThrow(WebhookId, c.req.param('id'))
  const eventId = idOrThrow(EventId, c.req.param('eventId'))
  const endpoint = await getWebhookEndpointOrThrow(c.var.db, id)
  assertCan(c.var.principal, 'webhooks.manage', scopeOf(endpoint), 'Webhook endpoint')
  await redeliverEvent(c.var.db, c.env.EVENTS_QUEUE, endpoint, eventId, new Date())
  auditDetail(c, eventId)
  return c.redirect(inLanguage(c, withNotice('/admin/webhooks', 'eventRedelivered')), 303)
})

/** The endpoint's secret is on the answer to this POST only (no redirect): shown once. */
webhooksPages.post('/admin/webhooks', async (c) => {
  const form = await readForm(c)
  const values = {
    url: formText(form, 'url'),
    events: form.events === undefined ? [] : ([] as unknown[]).concat(form.events).map(String),
    communityId: formText(form, 'communityId'),
  }
  const parsed = CreateWebhookSchema.safeParse(values)
  if (!parsed.success) {
    return webhooksPage(c, {
      refused: { values, errors: fieldMessages(lang(c), parsed.error.issues) },
    })
  }
  assertCan(
    c.var.principal,
    'webhooks.manage',
    parsed.data.communityId ? { communityId: parsed.data.communityId } : undefined,
  )
  // Refused on the page, in the admin's language, with the form kept filled in.
  const check = checkOutboundUrl(parsed.data.url, {
    allowLoopbackHttp: c.var.config.ALLOW_HTTP_WEBHOOKS,
  })
  if (!check.ok) {
    const errors = { url: endpointRefusedText(lang(c), check.reason) }
    return webhooksPage(c, { refused: { values, errors } })
  }
  const { endpoint, secret } = await createWebhookEndpoint(
    c.var.db,
    {
      url: parsed.data.url,
      events: parsed.data.events,
      communityId: parsed.data.communityId ?? null,
    },
    {
      signingSecret: signingSecret(c.var.config),
      allowHttp: c.var.config.ALLOW_HTTP_WEBHOOKS,
      madeBy: c.var.principal,
    },
    new Date(),
  )
  // The page answers (no redirect to read the id from): the audit log names the endpoint made.
  auditTarget(c, endpoint.id)
  return webhooksPage(c, { secret: { url: parsed.data.url, value: secret } })
})
