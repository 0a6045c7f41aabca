import { createApp } from './app'
import { handleQueue } from './jobs/queue'
import { handleScheduled } from './jobs/scheduled'

export { SendRateLimiter } from './services/send-rate'

const app = createApp()

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
  queue: handleQueue,
} satisfies ExportedHandler<Env>
