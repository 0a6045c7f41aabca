import path from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { withBindings, workerOfWranglerToml } from './test/support/test-worker.ts'

const root = import.meta.dirname

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, 'migrations'))
  const testBindings = {
    ADMIN_TOKEN: 'test-owner-token-0123456789abcdef',
    SIGNING_SECRET: 'test-signing-secret-0123456789abcdef0123456789',
    PUBLIC_BASE_URL: 'https://join.example.com',
    IMAGE_HOSTS: 'images.example.com',
    WHATSAPP_BUSINESS_NUMBER: '+49 30 1234567',
    WHATSAPP_VERIFY_TOKEN: 'test-verify-token-0123',
    WHATSAPP_APP_SECRET: 'test-app-secret-0123456789',
    TEST_MIGRATIONS: migrations,
    // Event webhooks retried within seconds, three attempts in all, as the deliveries here.
    EVENT_RETRY_SCHEDULE: '1,1',
    // Any statement past D1's limits fails the test that makes it (src/db/d1-limits.ts).
    D1_LIMIT_CHECKS: 'true',
  }
  const worker = workerOfWranglerToml(root)
  return {
    test: {
      // Both cores: vitest's default leaves one free, which on a two-core machine runs every
      // file one after another. The tests wait for events, not for times, so they hold up with
      // two files running at once.
      maxWorkers: 2,
      projects: [
        {
          // Pure code from src/lib/ and the rules over the source tree, in plain Node: a change
          // there is checked in seconds (`npm run test:lib`).
          test: {
            name: 'lib',
            include: ['test/lib/**/*.test.ts'],
            environment: 'node',
            setupFiles: ['./test/lib/workers-crypto.ts'],
            // Importing every lib file takes 2-3 s quietly and twice that on a busy machine:
            // the default 5 s would make a timing check of it.
            testTimeout: 30_000,
          },
        },
        {
          // The Worker's own tests, inside workerd with real D1 (and, later, Queues and cron).
          plugins: [cloudflareTest(withBindings(worker, testBindings))],
          test: {
            name: 'worker',
            include: ['test/worker/**/*.test.ts'],
            setupFiles: ['./test/worker/apply-migrations.ts'],
            // What a test waits for after a response (a queue, `waitUntil`) it waits for until
            // this bound (test/support/eventually.ts): generous, for a busy machine.
            testTimeout: 30_000,
          },
        },
        {
          // The Worker with its outside services switched on (Turnstile, delivery channels),
          // talking real HTTP to local stand-ins that speak those services' protocols.
          plugins: [
            cloudflareTest(async ({ inject }) =>
              withBindings(worker, {
                ...testBindings,
                TURNSTILE_SECRET: 'test-turnstile-secret',
                TURNSTILE_SITE_KEY: 'test-site-key',
                TURNSTILE_VERIFY_URL: `${inject('fakeServicesUrl')}/turnstile/v0/siteverify`,
                // A small venue, so a test fills an address's join limit with a few requests.
                JOIN_LIMIT_PER_ADDRESS: '25',
                DELIVERY_CHANNEL: 'webhook',
                DELIVERY_WEBHOOK_URL: `${inject('fakeServicesUrl')}/webhook`,
                DELIVERY_WEBHOOK_SECRET: 'whsec_dGVzdC1kZWxpdmVyeS1zZWNyZXQtMDEyMzQ1Njc4OQ==',
                DELIVERY_RATE_PER_SECOND: '1000',
                DELIVERY_MAX_ATTEMPTS: '3',
                DELIVERY_RETRY_BASE_SECONDS: '1',
                ALLOW_HTTP_WEBHOOKS: 'true',
                WHATSAPP_API_BASE: `${inject('fakeServicesUrl')}/whatsapp`,
                WHATSAPP_PHONE_NUMBER_ID: '1234567890',
                WHATSAPP_ACCESS_TOKEN: 'test-whatsapp-token',
                // The dashboard behind Cloudflare Access, its keys served by the stand-in.
                ACCESS_TEAM_DOMAIN: 'https://test-team.cloudflareaccess.com',
                ACCESS_AUD: 'test-access-aud-0123456789abcdef',
                ACCESS_CERTS_URL: `${inject('fakeServicesUrl')}/access/cdn-cgi/access/certs`,
              }),
            ),
          ],
          test: {
            name: 'integrations',
            include: ['test/integrations/**/*.test.ts'],
            setupFiles: ['./test/worker/apply-migrations.ts'],
            globalSetup: ['./test/support/fake-services.ts'],
            // Deliveries go through real queues with real (if short) retry delays.
            testTimeout: 30_000,
          },
        },
        {
          // The WhatsApp channel both ways: announcements through the Cloud API stand-in, and
          // its signed notifications (statuses, replies) back through the webhook and queue.
          plugins: [
            cloudflareTest(async ({ inject }) =>
              withBindings(worker, {
                ...testBindings,
                DELIVERY_CHANNEL: 'whatsapp',
                WHATSAPP_CONFIRM_TEMPLATE: 'confirm_signup',
                // A decision told past the 24-hour window: only approvals have a template here.
                WHATSAPP_APPROVED_TEMPLATE: 'join_approved',
                // The Cloud API stand-in listens on plain http on loopback.
                ALLOW_HTTP_WEBHOOKS: 'true',
                DELIVERY_RATE_PER_SECOND: '1000',
                DELIVERY_MAX_ATTEMPTS: '3',
                DELIVERY_RETRY_BASE_SECONDS: '1',
                WHATSAPP_API_BASE: `${inject('fakeServicesUrl')}/whatsapp`,
                WHATSAPP_PHONE_NUMBER_ID: '1234567890',
                WHATSAPP_ACCESS_TOKEN: 'test-whatsapp-token',
              }),
            ),
          ],
          test: {
            name: 'whatsapp',
            include: ['test/whatsapp/**/*.test.ts'],
            setupFiles: ['./test/worker/apply-migrations.ts'],
            globalSetup: ['./test/support/fake-services.ts'],
            // Announcements and notifications go through real queues, two runs in some tests.
            testTimeout: 60_000,
          },
        },
        {
          // Telegram as a second platform: the Bot API stand-in (test/support/fake-telegram.ts)
          // over real HTTP, its updates through the webhook and the Telegram queue.
          plugins: [
            cloudflareTest(async ({ inject }) =>
              withBindings(worker, {
                ...testBindings,
                ALLOW_HTTP_WEBHOOKS: 'true',
                TELEGRAM_BOT_TOKEN: '123456789:test-telegram-token-0123456789',
                TELEGRAM_WEBHOOK_SECRET: 'test-telegram-webhook-secret-0123',
                TELEGRAM_BOT_USERNAME: 'community_growth_test_bot',
                TELEGRAM_API_BASE: `${inject('fakeServicesUrl')}/telegram`,
              }),
            ),
          ],
          test: {
            name: 'telegram',
            // The contract walk again, with Telegram on: its operations' every answer.
            include: ['test/telegram/**/*.test.ts', 'test/worker/contract.test.ts'],
            setupFiles: ['./test/worker/apply-migrations.ts'],
            globalSetup: ['./test/support/fake-services.ts'],
            // Updates, posts and announcements go through real queues: on two busy cores (two
            // suites at once) a /stop waited for its queue past 30 s. Waits end on the event.
            testTimeout: 60_000,
          },
        },
        {
          // End to end: Debian's Chromium driven by playwright-core against `wrangler dev`.
          test: {
            name: 'e2e',
            include: ['test/e2e/**/*.test.ts'],
            environment: 'node',
            testTimeout: 180_000,
            hookTimeout: 120_000,
            // A page that waits for the Worker waits as long as a busy machine needs; the test's
            // own timeout bounds it, not a guess of one second.
            expect: { poll: { timeout: 30_000 } },
          },
        },
        {
          // Checks made from outside the Worker, as a developer's tools would make them.
          test: {
            name: 'tooling',
            include: ['test/tooling/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
          },
        },
      ],
    },
  }
})
