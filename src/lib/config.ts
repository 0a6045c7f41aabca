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
})

export type Config = z.infer<typeof ConfigSchema>

const cache = new WeakMap<object, Config>()

export function loadConfig(env: Env): Config {
  let config = cache.get(env)
  if (!config) {
    config = ConfigSchema.parse(env)
    cache.set(env, config)
  }
  return config
}
