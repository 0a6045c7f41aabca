import { createApp } from './app'
import { handleQueue } from './jobs/queue'

const app = createApp()

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env>
