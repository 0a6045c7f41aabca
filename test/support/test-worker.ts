import { spawnSync } from 'node:child_process'
import type { cloudflareTest } from '@cloudflare/vitest-plugin'
import { NO_SECRETS_FILE, toolEnv } from './worker-server.ts'

/** The Worker as the test projects run it: `cloudflareTest` options. */
export interface TestWorker {
  main: string
  miniflare: Record<string, unknown> & {
    bindings: Record<string, unknown>
    queueConsumers: Record<string, Record<string, unknown>>
  }
}

/**
 * The Worker that wrangler.toml describes, as miniflare options, read by wrangler in a Node of
 * its own (wrangler does not load under the TypeScript loaders some tools, knip, read the vitest
 * config with):
 * - its secrets from `test/no-secrets.env` instead of `.dev.vars`, which the vitest plugin would
 *   read (`npm run dev` makes one, and a developer may keep a real bot token there);
 * - each queue consumer waiting at most 50 ms for a batch to fill instead of its 1-5 s. A queue
 *   delivers a batch when it is full or when that wait ends; the tests send a few messages and
 *   wait for them, so in production's settings most of their time would be that wait. Sizes,
 *   retries and dead-letter queues stay as deployed.
 */
export function workerOfWranglerToml(root: string): TestWorker {
  // wrangler prints what it read (a secrets file) on stdout too: the answer is the marked line.
  const marker = 'WORKER-OPTIONS '
  const read = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      // The vitest plugin's own wrangler, so that the options are those its miniflare takes.
      `const { createRequire } = await import('node:module')
       const plugin = 'node_modules/@cloudflare/vitest-plugin/package.json'
       const { unstable_getMiniflareWorkerOptions } = createRequire(process.cwd() + '/' + plugin)('wrangler')
       const { workerOptions, main } = unstable_getMiniflareWorkerOptions('wrangler.toml', undefined, {
         envFiles: [${JSON.stringify(NO_SECRETS_FILE)}],
       })
       console.log(${JSON.stringify(marker)} + JSON.stringify({ workerOptions, main }))`,
    ],
    { cwd: root, encoding: 'utf8', env: toolEnv },
  )
  const answer = read.stdout.split('\n').find((line) => line.startsWith(marker))
  if (read.status !== 0 || !answer) {
    throw new Error(
      `wrangler.toml as miniflare options:\n${read.error ?? ''}${read.stdout}${read.stderr}`,
    )
  }
  const { workerOptions, main } = JSON.parse(answer.slice(marker.length)) as {
    workerOptions: Record<string, unknown> & {
      bindings?: Record<string, unknown>
      queueConsumers?: Record<string, Record<string, unknown>>
    }
    main: string
  }
  // The plugin sets the root itself.
  const { rootPath: _rootPath, ...options } = workerOptions
  const queueConsumers = Object.fromEntries(
    Object.entries(workerOptions.queueConsumers ?? {}).map(([queue, consumer]) => [
      queue,
      { ...consumer, maxBatchTimeout: 0.05 },
    ]),
  )
  return { main, miniflare: { ...options, bindings: workerOptions.bindings ?? {}, queueConsumers } }
}

/** The test Worker with these bindings over wrangler.toml's vars. */
export function withBindings(
  worker: TestWorker,
  bindings: Record<string, unknown>,
): WorkersPoolOptions {
  return {
    main: worker.main,
    miniflare: {
      ...worker.miniflare,
      bindings: { ...worker.miniflare.bindings, ...bindings },
    } as WorkersPoolOptions['miniflare'],
  }
}

type WorkersPoolOptions = Exclude<Parameters<typeof cloudflareTest>[0], Function>
