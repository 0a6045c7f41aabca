import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { workerOfWranglerToml } from '../support/test-worker'

const root = path.resolve(import.meta.dirname, '../..')
const checkout = mkdtempSync(path.join(tmpdir(), 'test-worker-'))
afterAll(() => rmSync(checkout, { recursive: true, force: true }))

describe("the tests' Worker", () => {
  it("is wrangler.toml's, without the secrets a developer keeps in .dev.vars", () => {
    // A checkout after `npm run dev`, whose developer connected a real bot and a real number.
    cpSync(path.join(root, 'wrangler.toml'), path.join(checkout, 'wrangler.toml'))
    symlinkSync(path.join(root, 'src'), path.join(checkout, 'src'), 'dir')
    symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'), 'dir')
    writeFileSync(
      path.join(checkout, '.dev.vars'),
      [
        'ADMIN_TOKEN=developers-own-admin-token-0123456789',
        'TELEGRAM_BOT_TOKEN=987654321:a-real-bot-token',
        'WHATSAPP_ACCESS_TOKEN=a-real-cloud-api-token',
        'PUBLIC_BASE_URL=https://tunnel.example.net',
      ].join('\n'),
    )

    const worker = workerOfWranglerToml(checkout)

    const bindings = worker.miniflare.bindings
    expect(bindings).not.toHaveProperty('ADMIN_TOKEN')
    expect(bindings).not.toHaveProperty('TELEGRAM_BOT_TOKEN')
    expect(bindings).not.toHaveProperty('WHATSAPP_ACCESS_TOKEN')
    // wrangler.toml's own vars are there, not the developer's value over them.
    expect(bindings.PUBLIC_BASE_URL).toBe('http://localhost:8787')
    expect(bindings.TELEGRAM_API_BASE).toBe('https://api.telegram.org')
    expect(worker.main).toBe(path.join(checkout, 'src/index.ts'))
  })

  it("has wrangler.toml's queues, each waiting at most 50 ms for a batch to fill", () => {
    const { queueConsumers, queueProducers } = workerOfWranglerToml(root).miniflare
    expect(queueProducers).toMatchObject({
      VISITS_QUEUE: { queueName: 'community-growth-visits' },
    })
    expect(queueConsumers['community-growth-visits']).toMatchObject({
      maxBatchSize: 10,
      maxBatchTimeout: 0.05,
    })
    expect(queueConsumers['community-growth-telegram-updates']).toMatchObject({
      maxBatchSize: 100,
      maxBatchTimeout: 0.05,
    })
  })
})
