import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from './env'
import { methodsByPath } from './lib/allowed-methods'
import { logError } from './lib/log'
import { ApiError, ERROR_CODES, type ErrorCode, fieldErrors, toProblem } from './lib/errors'
import { appContext, requestIdOf } from './middleware/context'
import { bearerAuth } from './middleware/bearer-auth'
import { auditTrail } from './middleware/audit-trail'
import { requireJsonBody } from './middleware/json-body'
import { communitiesApi } from './api/communities'
import { groupsApi } from './api/groups'
import { tokensApi } from './api/tokens'
import { invitesApi } from './api/invites'
import { inviteActionsApi } from './api/invite-actions'
import { inviteQrDesignApi } from './api/invite-qr-design'
import { statsCompareApi } from './api/stats-compare'
import { landingApp } from './pages/landing'
import { qrApp } from './pages/qr'
import { joinApp } from './pages/join'
import { signUpStatusApp } from './pages/join-status'
import { whatsAppWebhookApp } from './api/whatsapp-webhook'
import { telegramWebhookApp } from './api/telegram-webhook'
import { documentPublicJoin } from './pages/join-docs'
import { dashboardApp } from './pages/dashboard/index'
import { joinRequestsApi } from './api/join-requests'
import { membersApi } from './api/members'
import { announcementsApi } from './api/announcements'
import { webhooksApi } from './api/webhooks'
import { teamApi } from './api/team'
import { telegramApi } from './api/telegram'
import { telegramJoinRequestsApi } from './api/telegram-join-requests'
import { siteFilesApp } from './pages/site-files'
import { MESSAGES, pickLanguage, type Lang } from './lib/i18n'
import { dashboardLanguage } from './middleware/dashboard-language'
import { PROBLEM_TEXTS } from './lib/i18n/problems'
import { ErrorPage } from './views/error-page'
import {
  cspNonce,
  NO_INLINE_CODE_POLICY,
  SecuredHeaders,
  securityHeaders,
} from './middleware/security-headers'
import { assertEveryOperationDeclared } from './api/operation'
import { ApiDocsPage, type OpenApiDocument } from './views/api-docs'
import { DOCTYPE } from './views/doctype'
import { ProblemsPage } from './views/problems-page'
import { languageSwitchOf } from './pages/language-switch'

const HEALTH_HEADERS = new SecuredHeaders({
  'content-type': 'text/plain; charset=UTF-8',
  'content-security-policy': NO_INLINE_CODE_POLICY,
})

const MAX_BODY_BYTES = 64 * 1024
/**
 * The dashboard's announcement forms (compose and change): a text and two translations of 4,096 characters each, where
 * one character may be four UTF-8 bytes and a form writes each byte as three (`%F0`): 147 KiB.
 */
const MAX_COMPOSE_BYTES = 160 * 1024
const COMPOSE_PATH = /^\/admin\/(communities\/[^/]+\/announcements|announcements\/[^/]+\/edit)$/
/**
 * Several links at once (the API's and the dashboard's): 50 links of a 100-character label,
 * three 64-character tags and a 40-character code, where JSON may write a character as two
 * escapes (`\ud83c\udf89`, 12 bytes) and a form as four `%XX` (12 bytes): about 200 KiB.
 */
const MAX_BULK_LINKS_BYTES = 256 * 1024
const BULK_LINKS_PATH = /^\/(api|admin)\/communities\/[^/]+\/(invites|links)\/bulk$/
/**
 * The dashboard's QR designer: a logo picked from a phone's photos is megabytes. It is refused
 * beside its field (at most 40 KB) with the design as it was set, not by a page that loses it.
 */
const MAX_QR_DESIGN_BYTES = 16 * 1024 * 1024
const QR_DESIGN_PATH = /^\/admin\/links\/[^/]+\/qr-design$/

/** Builds the whole Hono app; `index.ts` hands it requests. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>()
  // Liveness for monitors, and the baseline the benchmarks compare every route against: no
  // middleware, but the security headers every response carries, copied in one step.
  app.get('/healthz', () => new Response('ok', { headers: HEALTH_HEADERS.template }))
  app.use(appContext())
  // Every page and answer: a strict CSP with per-response nonces, no framing, no caching.
  app.use(securityHeaders())
  // The icons too: an SVG opened on its own is a document, and needs the policy as a page does.
  app.route('/', siteFilesApp)

  // Forms people and admins send are as bounded as API bodies (the compose form a little more).
  for (const path of ['/i/*', '/leave/*', '/confirm/*']) app.use(path, limitBody())
  const [formLimit, composeLimit, qrDesignLimit, bulkLinksLimit] = [
    limitBody(),
    limitBody(MAX_COMPOSE_BYTES),
    limitBody(MAX_QR_DESIGN_BYTES),
    limitBody(MAX_BULK_LINKS_BYTES),
  ]
  app.use('/admin/*', (c, next) =>
    (COMPOSE_PATH.test(c.req.path)
      ? composeLimit
      : QR_DESIGN_PATH.test(c.req.path)
        ? qrDesignLimit
        : BULK_LINKS_PATH.test(c.req.path)
          ? bulkLinksLimit
          : formLimit)(c, next),
  )

  // The public hot path first: a landing page or QR code passes no other route's middleware.
  app.route('/', landingApp)
  app.route('/', qrApp)
  app.route('/', joinApp)
  app.route('/', signUpStatusApp)
  app.route('/', whatsAppWebhookApp)
  app.route('/', telegramWebhookApp)
  app.route('/', dashboardApp)

  app.get('/', (c) => c.redirect('/admin'))

  app.route('/api', createApi())
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'The `ADMIN_TOKEN` secret, or a token created with `POST /api/tokens`',
  })
  const documentConfig = (origin: string) => ({
    openapi: '3.1.0',
    info: {
      title: 'Community Growth API',
      version: '1.0.0',
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Communities, groups, invite links, joins, referrals and announcements for chat communities. ' +
        'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`: ' +
        'each error response lists the codes it carries, and a problem’s `type` links to the ' +
        'page explaining its code (`/api/problems/{code}`; every code at `/api/problems`). ' +
        'A 400 `validation_failed` comes from the schema of a parameter or body, or from a rule ' +
        'that the operation’s 400 response names (`x-validation-rules`, by field). Operations ' +
        'under `/api` refuse query parameters they do not list. Text fields are cleaned (Unicode ' +
        'NFC, no control or bidi characters or halves of surrogate pairs, trimmed); their length ' +
        'limits count the characters (code points) as sent and again once cleaned, and a ' +
        'required one must keep a visible character once cleaned.',
    },
    servers: [{ url: origin }],
  })
  documentPublicJoin(app)
  assertEveryOperationDeclared(app)
  app.doc31('/api/openapi.json', (c) => documentConfig(new URL(c.req.url).origin))
  // The reference for people, drawn from the same document on the server: no outside script.
  app.get('/api/docs', (c) => {
    const doc = app.getOpenAPI31Document(documentConfig(new URL(c.req.url).origin))
    return c.html(
      <>
        {DOCTYPE}
        <ApiDocsPage doc={doc as OpenApiDocument} nonce={cspNonce(c)} />
      </>,
    )
  })

  // What a problem's `type` links to: every code of the catalogue, or one of them.
  app.get('/api/problems', (c) =>
    c.html(
      <>
        {DOCTYPE}
        <ProblemsPage nonce={cspNonce(c)} />
      </>,
    ),
  )
  app.get('/api/problems/:code', (c) => {
    const code = ERROR_CODES.find((known) => known === c.req.param('code'))
    if (!code) throw new ApiError('not_found', 'There is no problem with this code.')
    return c.html(
      <>
        {DOCTYPE}
        <ProblemsPage code={code} nonce={cspNonce(c)} />
      </>,
    )
  })

  // Looked up lazily: the route table is complete only once every sub-app is mounted.
  let allowedMethods: ((path: string) => string[]) | undefined
  app.notFound((c) => {
    allowedMethods ??= methodsByPath(app.routes)
    const allowed = allowedMethods(c.req.path)
    if (allowed.length > 0) {
      const error = new ApiError(
        'method_not_allowed',
        `${c.req.path} answers ${allowed.join(', ')}, not ${c.req.method}.`,
        { headers: { allow: allowed.join(', ') } },
      )
      return respondWithError(c, error)
    }
    return respondWithError(
      c,
      new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}.`),
    )
  })
  app.onError((error, c) => respondWithError(c, toApiError(error, c)))
  return app
}

function createApi() {
  const api = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError('validation_failed', 'Some fields are missing or invalid.', {
          errors: fieldErrors(result.error.issues),
        })
      }
    },
  })
  const [apiLimit, apiBulkLinksLimit] = [limitBody(), limitBody(MAX_BULK_LINKS_BYTES)]
  api.use((c, next) => (BULK_LINKS_PATH.test(c.req.path) ? apiBulkLinksLimit : apiLimit)(c, next))
  api.use(requireJsonBody())
  api.use(
    bearerAuth({
      publicPaths: ['/api/openapi.json', '/api/docs', '/api/problems', '/api/problems/*'],
    }),
  )

  // After sign-in: every change through the API goes into its community's audit log.
  api.use(auditTrail())

  api.route('/', communitiesApi)
  api.route('/', groupsApi)
  api.route('/', tokensApi)
  api.route('/', invitesApi)
  api.route('/', inviteActionsApi)
  api.route('/', inviteQrDesignApi)
  api.route('/', statsCompareApi)
  api.route('/', joinRequestsApi)
  api.route('/', membersApi)
  api.route('/', announcementsApi)
  api.route('/', webhooksApi)
  api.route('/', teamApi)
  api.route('/', telegramApi)
  api.route('/', telegramJoinRequestsApi)

  return api
}

function limitBody(maxSize = MAX_BODY_BYTES) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(
        'payload_too_large',
        `Request bodies are limited to ${maxSize / 1024} KiB.`,
      )
    },
  })
}

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
}

/** Every error becomes an ApiError; anything unexpected is logged and answered without detail. */
function toApiError(error: Error, c: Context<AppEnv>): ApiError {
  if (error instanceof ApiError) return error
  if (error instanceof HTTPException) {
    if (error.status === 400 && error.message.startsWith('Malformed JSON')) {
      return new ApiError('malformed_json', 'The request body is not valid JSON.')
    }
    const code = HTTP_STATUS_CODES[error.status]
    if (code) return new ApiError(code, error.message || 'The request was refused.')
  }
  logError(
    {
      requestId: requestIdOf(c),
      // drizzle wraps the database's own error (a D1 limit, a constraint) as the cause.
      cause: error.cause === undefined ? undefined : String(error.cause),
      stack: error.stack,
    },
    error,
  )
  return new ApiError('internal_error', 'Something went wrong on our side. It has been logged.')
}

/**
 * What went wrong, for an error page in `lang`: the error's own sentence when it is in the
 * reader's language (written so, or English for an English reader), otherwise what its code
 * means in the reader's words, so a German page never shows the API's English.
 */
function readersDetail(error: ApiError, lang: Lang): string {
  if (error.localized) return error.message
  if (lang === 'en') {
    return [error.message, ...(error.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(' ')
  }
  return PROBLEM_TEXTS[lang][error.code] ?? MESSAGES[lang].problemFallback
}

/**
 * API clients (and anything that does not ask for HTML, such as an image tag) get problem
 * details; people get a friendly page in their language.
 */
function respondWithError(c: Context<AppEnv>, error: ApiError): Response | Promise<Response> {
  const wantsPage =
    !c.req.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html')
  if (wantsPage) {
    // In the dashboard there is somewhere to go back to, and a link was not handed to a member.
    const dashboard = c.req.path === '/admin' || c.req.path.startsWith('/admin/')
    // The dashboard's pages speak the language chosen in it, its error pages too.
    const lang = dashboard
      ? dashboardLanguage(c)
      : pickLanguage(c.req.header('accept-language'), c.req.query('lang'))
    const t = MESSAGES[lang]
    const [title, text] =
      error.code === 'cross_site_request'
        ? [t.crossSiteTitle, dashboard ? t.crossSiteText : t.crossSitePublicText]
        : error.code === 'forbidden'
          ? [t.forbiddenTitle, t.forbiddenText]
          : error.status === 404
            ? [t.notFoundTitle, dashboard ? t.dashboardNotFoundText : t.notFoundText]
            : error.status === 410
              ? [t.goneTitle, readersDetail(error, lang)]
              : error.status === 429
                ? [t.tooManyTitle, t.errorText]
                : error.status < 500
                  ? [t.badRequestTitle, readersDetail(error, lang)]
                  : [t.errorTitle, t.errorText]
    const back = dashboard ? { href: '/admin', label: t.backToDashboard } : undefined
    return c.html(
      ErrorPage({
        lang,
        nonce: cspNonce(c),
        // The dashboard's own switch is in its frame; its error pages have a way back instead.
        switchHref: dashboard ? undefined : languageSwitchOf(c, lang),
        title,
        text,
        back,
      }),
      error.status,
      error.headers,
    )
  }
  // Configuration may be what failed: the request's own origin serves the problem pages too.
  const baseUrl = c.var.config?.PUBLIC_BASE_URL ?? new URL(c.req.url).origin
  const body = JSON.stringify(toProblem(error, { baseUrl, requestId: requestIdOf(c) }))
  return new Response(body, {
    status: error.status,
    headers: { 'content-type': 'application/problem+json', ...error.headers },
  })
}
