import { TestRunner } from 'vitest'

/** Outside a test (a hook, a helper run on its own): how long a wait may take. */
const OUTSIDE_A_TEST_MS = 30_000
/** A wait gives up this long before its test would time out, to fail with its own message. */
const MARGIN_MS = 1_000

/**
 * How long the running test may still wait, less a margin: a test that waits for something
 * asynchronous is bounded by its own timeout (generous, set per project), never by a guess of
 * how long the thing takes on an idle machine.
 */
export function timeLeftInTest(): number {
  const test = TestRunner.getCurrentTest()
  const startedAt = test?.result?.startTime
  if (!test?.timeout || !startedAt) return OUTSIDE_A_TEST_MS
  return Math.max(startedAt + test.timeout - Date.now() - MARGIN_MS, 0)
}

/**
 * Retries an assertion until it holds: for what happens after a response (queues, `waitUntil`,
 * the cron's sends, notifications applied later). It waits for the thing itself, as long as the
 * test may run, and then fails with the assertion's own message. It checks at once and then
 * every 25 ms, slowing to every 250 ms, so it costs an idle machine no time and a busy one little
 * work.
 */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = timeLeftInTest(),
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let pause = 25; ; pause = Math.min(pause * 1.25, 250)) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() + pause > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }
}
