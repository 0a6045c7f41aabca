import { z } from 'zod'
import { DELIVERY_CHANNELS } from '../db/schema'
import { foldKeyword } from './keywords'
import { checkOutboundUrl } from './outbound'

const hostList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  )

// Folded like the messages they are compared with (src/lib/keywords.ts).
const keywordList = z
  .string()
  .transform((value) => value.split(',').map(foldKeyword).filter(Boolean))
  .pipe(z.array(z.string()).min(1))

// Meta approves a template per language and refuses one sent in a language it has no approved
// translation in, so these are the codes as Meta spells them (`de`, `en_US`, `prs_AF`).
const templateLanguages = z
  .string()
  .transform((value) => value.split(',').map((code) => code.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a WhatsApp language code such as de, en or en_US'),
      )
      .min(1),
  )

/** The Worker's vars and secrets, parsed once per isolate: a typo in configuration fails loudly. */
const ConfigSchema = z.object({
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  CHAT_INVITE_HOSTS: hostList,
  IMAGE_HOSTS: hostList,
  // A secret that is set but too short is a mistake to report, not to ignore.
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must have at least 16 characters').optional(),
  // Signs leave links and form tokens; falls back to ADMIN_TOKEN so a fresh setup works, where
  // that token is as long as a signing secret must be (see `CheckedConfigSchema`).
  SIGNING_SECRET: z.string().min(32, 'SIGNING_SECRET must have at least 32 characters').optional(),
  VISIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  // Delivered events (the webhook outbox) are deleted this many days after they were handed on,
  // once every webhook delivery of them has settled.
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Entries of a community's audit log are deleted this many days after they were written.
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  // Queue messages that failed for good (ids and a fixed reason) are deleted this many days after
  // they were dead-lettered.
  DEAD_LETTER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  REJECTION_COOLDOWN_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  JOIN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(300),
  TURNSTILE_SECRET: z.string().min(1).optional().catch(undefined),
  TURNSTILE_SITE_KEY: z.string().min(1).optional().catch(undefined),
  DELIVERY_CHANNEL: z.enum(DELIVERY_CHANNELS).default('webhook'),
  // Empty is unset: the webhook channel then reports itself unconfigured on each delivery.
  DELIVERY_WEBHOOK_URL: z
    .union([z.literal('').transform(() => undefined), z.url({ protocol: /^https?$/ })])
    .optional(),
  DELIVERY_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/)
    .optional()
    .catch(undefined),
  DELIVERY_RATE_PER_SECOND: z.coerce.number().positive().max(1000).default(20),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(5),
  DELIVERY_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  // An event endpoint's retries, the seconds before each (as webhook senders commonly retry:
  // some 28 hours in all), so a receiver down for hours still gets every event. Each at most 12
  // hours, the longest a queue message may wait.
  EVENT_RETRY_SCHEDULE: z
    .string()
    .default('5,300,1800,7200,18000,36000,36000')
    .transform((text) => text.split(',').map((part) => Number(part.trim())))
    .pipe(z.array(z.number().int().min(1).max(43_200)).min(1).max(12)),
  // How long one send may take before its outcome counts as unknown; unset: the channel's own.
  DELIVERY_TIMEOUT_SECONDS: z.coerce.number().positive().max(120).optional().catch(undefined),
  WHATSAPP_API_BASE: z
    .url({ protocol: /^https?$/ })
    .default('https://graph.facebook.com')
    .transform((url) => url.replace(/\/+$/, '')),
  WHATSAPP_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v21.0'),
  WHATSAPP_PHONE_NUMBER_ID: z.string().default(''),
  WHATSAPP_ACCESS_TOKEN: z.string().optional().catch(undefined),
  WHATSAPP_TEMPLATE_NAME: z.string().default(''),
  // The languages the templates are approved in (comma separated), the first for anyone whose
  // language is not among them (`templateLanguage` in src/platforms/whatsapp/cloud-api.ts).
  WHATSAPP_TEMPLATE_LANGUAGE: templateLanguages.default(['de']),
  // Double opt-in: hours an unconfirmed sign-up waits before it is deleted with its contact data.
  CONFIRM_EXPIRY_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(48),
  // The business's WhatsApp number, for the wa.me confirmation link (digits, country code first).
  WHATSAPP_BUSINESS_NUMBER: z
    .string()
    .transform((value) => value.replace(/[\s+()-]/g, ''))
    .pipe(z.string().regex(/^(\d{6,15})?$/, 'WHATSAPP_BUSINESS_NUMBER must be a phone number'))
    .default(''),
  // Where the confirmation link opens a chat: wa.me, or locally `npm run dev`'s phone page.
  WHATSAPP_CHAT_LINK_BASE: z
    .url({ protocol: /^https?$/ })
    .default('https://wa.me')
    .transform((url) => url.replace(/\/+$/, ''))
    .refine((url) => !/[?#]/.test(url), 'WHATSAPP_CHAT_LINK_BASE must have no query or fragment'),
  // Meta's webhook handshake token and the app secret that signs its notifications.
  WHATSAPP_VERIFY_TOKEN: z.string().min(8).optional().catch(undefined),
  WHATSAPP_APP_SECRET: z.string().min(8).optional().catch(undefined),
  // Optional: a template with a quick-reply button that asks a new sign-up to confirm.
  WHATSAPP_CONFIRM_TEMPLATE: z.string().default(''),
  // Optional: templates that tell an applicant of an admin's decision once the 24-hour window
  // their own message opened has closed (the community's name is their one parameter).
  WHATSAPP_APPROVED_TEMPLATE: z.string().default(''),
  WHATSAPP_REJECTED_TEMPLATE: z.string().default(''),
  // Chat replies that end a subscription, and those that start it again (comma separated).
  OPT_OUT_KEYWORDS: keywordList.default(['stop', 'stopp', 'abmelden', 'austragen', 'unsubscribe']),
  OPT_IN_KEYWORDS: keywordList.default(['start']),
  ALLOW_HTTP_WEBHOOKS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  // Tests and local development: every D1 statement past D1's limits fails loudly (src/db/d1-limits.ts).
  D1_LIMIT_CHECKS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  // Tests and benchmarks: each answer says how many D1 round trips it waited on, in an
  // `x-d1-round-trips` header (src/middleware/context.ts). Off in production.
  D1_ROUND_TRIP_HEADER: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  TURNSTILE_VERIFY_URL: z
    .url({ protocol: /^https?$/ })
    .default('https://challenges.cloudflare.com/turnstile/v0/siteverify'),
  // Telegram: without a bot token nothing of Telegram shows anywhere. The token is BotFather's
  // `<bot id>:<secret>`; the webhook secret is the `secret_token` given to setWebhook (Telegram
  // allows 1-256 characters of A-Z, a-z, 0-9, _ and -).
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{20,}$/, 'TELEGRAM_BOT_TOKEN must be BotFather’s <id>:<secret>')
    .optional(),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, 'TELEGRAM_WEBHOOK_SECRET: 16-256 of A-Z a-z 0-9 _ -')
    .optional(),
  // The bot's user name (BotFather shows it with the token): members are offered a deep link
  // `https://t.me/<name>?start=<their signed member id>` to get messages from the bot one by one.
  TELEGRAM_BOT_USERNAME: z
    .union([
      z.literal(''),
      z
        .string()
        .regex(
          /^[A-Za-z][A-Za-z0-9_]{3,31}$/,
          'TELEGRAM_BOT_USERNAME: the bot’s user name, without @',
        ),
    ])
    .default(''),
  TELEGRAM_API_BASE: z
    .url({ protocol: /^https?$/ })
    .default('https://api.telegram.org')
    .transform((url) => url.replace(/\/+$/, '')),
  // Where Telegram's links open for people (invite links, the bot's deep links): t.me, or
  // locally `npm run dev`'s Telegram page, where a local person takes the link instead.
  TELEGRAM_LINK_BASE: z
    .url({ protocol: /^https?$/ })
    .default('https://t.me')
    .transform((url) => url.replace(/\/+$/, ''))
    .refine((url) => !/[?#]/.test(url), 'TELEGRAM_LINK_BASE must have no query or fragment'),
  // Cloudflare Access in front of the dashboard: its team domain (the JWT's issuer) and the
  // application's audience tag. Both or neither; without them the Access header is never read.
  ACCESS_TEAM_DOMAIN: z
    .url({ protocol: /^https$/ })
    .transform((url) => url.replace(/\/+$/, ''))
    .refine((url) => new URL(url).pathname === '/', 'ACCESS_TEAM_DOMAIN is an origin, no path')
    .optional(),
  ACCESS_AUD: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,128}$/, 'ACCESS_AUD is the application’s audience tag')
    .optional(),
  // Where the team's signing keys are read; unset: `<team domain>/cdn-cgi/access/certs`.
  ACCESS_CERTS_URL: z.url({ protocol: /^https?$/ }).optional(),
})

/** URLs the Worker fetches or sends people to: held to the rule for webhook endpoints. */
const OUTBOUND_URL_VARS = [
  'DELIVERY_WEBHOOK_URL',
  'WHATSAPP_API_BASE',
  'TURNSTILE_VERIFY_URL',
  'TELEGRAM_API_BASE',
  'ACCESS_CERTS_URL',
  // Not fetched, but people are sent there: held to the same rule (plain http only locally).
  'WHATSAPP_CHAT_LINK_BASE',
  'TELEGRAM_LINK_BASE',
] as const

/**
 * An outbound URL pointing at a private address, or using plain http outside local development
 * (`ALLOW_HTTP_WEBHOOKS`), fails the configuration like a typo does.
 */
const CheckedConfigSchema = ConfigSchema.superRefine((config, ctx) => {
  // Signed links are public (every sign-up gets one): signed with a short ADMIN_TOKEN, each would
  // let its holder test guesses of that token offline, past the sign-in's limit on tries.
  if (!config.SIGNING_SECRET && config.ADMIN_TOKEN && config.ADMIN_TOKEN.length < 32) {
    ctx.addIssue({
      code: 'custom',
      path: ['SIGNING_SECRET'],
      message:
        'required while ADMIN_TOKEN has fewer than 32 characters: links are signed with it in its place',
    })
  }
  // A token of the stored tokens' shape is never counted as a guess by the sign-in's limit.
  if (config.ADMIN_TOKEN && /^cg_[A-Za-z0-9_-]{43}$/.test(config.ADMIN_TOKEN)) {
    ctx.addIssue({
      code: 'custom',
      path: ['ADMIN_TOKEN'],
      message: 'must not have the shape of the tokens the API makes (cg_ and 43 characters)',
    })
  }
  // A bot without the webhook secret would accept updates from anyone who guesses the URL.
  if (config.TELEGRAM_BOT_TOKEN && !config.TELEGRAM_WEBHOOK_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['TELEGRAM_WEBHOOK_SECRET'],
      message: 'required with TELEGRAM_BOT_TOKEN',
    })
  }
  // Half a configuration would either trust tokens meant for another application or none at all.
  if (Boolean(config.ACCESS_TEAM_DOMAIN) !== Boolean(config.ACCESS_AUD)) {
    ctx.addIssue({
      code: 'custom',
      path: [config.ACCESS_TEAM_DOMAIN ? 'ACCESS_AUD' : 'ACCESS_TEAM_DOMAIN'],
      message: 'ACCESS_TEAM_DOMAIN and ACCESS_AUD go together',
    })
  }
  if (config.ACCESS_CERTS_URL && !config.ACCESS_TEAM_DOMAIN) {
    ctx.addIssue({
      code: 'custom',
      path: ['ACCESS_CERTS_URL'],
      message: 'only with ACCESS_TEAM_DOMAIN',
    })
  }
  for (const name of OUTBOUND_URL_VARS) {
    const value = config[name]
    if (value === undefined) continue
    const check = checkOutboundUrl(value, { allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS })
    if (!check.ok)
      ctx.addIssue({ code: 'custom', path: [name], message: `refused: ${check.reason}` })
  }
})

export type Config = z.infer<typeof ConfigSchema>

/** Telegram's settings once a bot token is configured; null: Telegram is off. */
export interface TelegramConfig {
  token: string
  botId: number
  webhookSecret: string
  apiBase: string
  allowLoopbackHttp: boolean
  /** Where members start the bot; null when `TELEGRAM_BOT_USERNAME` is not set. */
  botUsername: string | null
}

/**
 * A Telegram link (`https://t.me/...`, as Telegram makes them and the bot's deep links are
 * written) where people open it: under `TELEGRAM_LINK_BASE`. Any other URL is left as it is.
 */
export function telegramLinkForPeople(config: Config, url: string): string {
  const TELEGRAM = 'https://t.me/'
  return url.startsWith(TELEGRAM)
    ? `${config.TELEGRAM_LINK_BASE}/${url.slice(TELEGRAM.length)}`
    : url
}

export function telegramConfig(config: Config): TelegramConfig | null {
  const token = config.TELEGRAM_BOT_TOKEN
  if (!token) return null
  return {
    token,
    botId: Number(token.slice(0, token.indexOf(':'))),
    webhookSecret: config.TELEGRAM_WEBHOOK_SECRET ?? '',
    apiBase: config.TELEGRAM_API_BASE,
    allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
    botUsername: config.TELEGRAM_BOT_USERNAME || null,
  }
}

/** Cloudflare Access's settings once a team domain and audience are configured; null: off. */
export interface AccessConfig {
  teamDomain: string
  audience: string
  certsUrl: string
  allowLoopbackHttp: boolean
}

export function accessConfig(config: Config): AccessConfig | null {
  const teamDomain = config.ACCESS_TEAM_DOMAIN
  const audience = config.ACCESS_AUD
  if (!teamDomain || !audience) return null
  return {
    teamDomain,
    audience,
    certsUrl: config.ACCESS_CERTS_URL ?? `${teamDomain}/cdn-cgi/access/certs`,
    allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
  }
}

/** The key for signed links and form tokens. */
export function signingSecret(config: Config): string {
  const secret = config.SIGNING_SECRET ?? config.ADMIN_TOKEN
  if (!secret) throw new Error('Set the SIGNING_SECRET secret (or ADMIN_TOKEN) to sign links.')
  return secret
}

const cache = new WeakMap<object, Config>()

export function loadConfig(env: Env): Config {
  let config = cache.get(env)
  if (!config) {
    const parsed = CheckedConfigSchema.safeParse(env)
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.')}: ${issue.message}`,
      )
      throw new Error(`The Worker's configuration is invalid: ${problems.join('; ')}`)
    }
    config = parsed.data
    cache.set(env, config)
  }
  return config
}
