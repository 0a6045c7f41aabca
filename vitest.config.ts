import path from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

const root = import.meta.dirname

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, 'migrations'))
  return {
    test: {
      projects: [
        {
          // The Worker's own tests, inside workerd with real D1 (and, later, Queues and cron).
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  ADMIN_TOKEN: 'test-owner-token-0123456789abcdef',
                  SIGNING_SECRET: 'test-signing-secret-0123456789abcdef0123456789',
                  PUBLIC_BASE_URL: 'https://join.example.com',
                  IMAGE_HOSTS: 'images.example.com',
                  TEST_MIGRATIONS: migrations,
                },
              },
            }),
          ],
          test: {
            name: 'worker',
            include: ['test/worker/**/*.test.ts'],
            setupFiles: ['./test/worker/apply-migrations.ts'],
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
