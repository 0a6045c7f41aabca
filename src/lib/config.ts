import { z } from 'zod'

const hostList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  )

/** The Worker's vars and secrets, parsed once per isolate: a typo in configuration fails loudly. */
const ConfigSchema = z.object({
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .transform((url) => url.replace(/\/+$/, '')),
  CHAT_INVITE_HOSTS: hostList,
  IMAGE_HOSTS: hostList,
  ADMIN_TOKEN: z.string().min(16).optional().catch(undefined),
  // Signs leave links and form tokens; falls back to ADMIN_TOKEN so a fresh setup works.
  SIGNING_SECRET: z.string().min(32).optional().catch(undefined),
  REJECTION_COOLDOWN_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  TURNSTILE_SECRET: z.string().min(1).optional().catch(undefined),
  TURNSTILE_SITE_KEY: z.string().min(1).optional().catch(undefined),
  TURNSTILE_VERIFY_URL: z
    .url({ protocol: /^https?$/ })
    .default('https://challenges.cloudflare.com/turnstile/v0/siteverify'),
})

export type Config = z.infer<typeof ConfigSchema>

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
    config = ConfigSchema.parse(env)
    cache.set(env, config)
  }
  return config
}
