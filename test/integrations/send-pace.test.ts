import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { burstSize, createSharedPacer } from '../../src/services/send-rate'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The most permits inside any one second. */
function busiestSecond(permits: number[]): number {
  const sorted = [...permits].sort((a, b) => a - b)
  return Math.max(
    ...sorted.map((start) => sorted.filter((at) => at >= start && at < start + 1000).length),
  )
}

describe('the shared pace of one sender', () => {
  // 50 a second: a consumer books 10 slots per call and the bucket holds 5.
  const rate = 50
  const bound = rate + burstSize(rate) + 1

  it('a consumer held up with booked slots does not fire them together with the others', async () => {
    const sender = `pace-test:${crypto.randomUUID()}`
    const permits: number[] = []
    const steady = createSharedPacer(env.SEND_RATE_LIMITER, sender, rate, 80)
    const stalled = createSharedPacer(env.SEND_RATE_LIMITER, sender, rate, 40)
    const takeSteadily = async (pace: typeof steady, count: number) => {
      for (let i = 0; i < count; i++) {
        await pace()
        permits.push(Date.now())
      }
    }
    const takeAfterHoldUp = async () => {
      // Its first send books a block of slots; the send then takes 600 ms (a slow receiver),
      // which leaves the rest of the block behind while the other consumer goes on sending.
      await stalled()
      permits.push(Date.now())
      await sleep(600)
      await takeSteadily(stalled, 39)
    }
    await Promise.all([takeSteadily(steady, 80), takeAfterHoldUp()])
    expect(permits).toHaveLength(120)
    expect(busiestSecond(permits)).toBeLessThanOrEqual(bound)
    // Sharing still spreads them: 120 permits at 50 a second take more than two seconds.
    expect(Math.max(...permits) - Math.min(...permits)).toBeGreaterThanOrEqual(2000)
  }, 30_000)

  it('sends at the full rate when nothing holds it up', async () => {
    const sender = `pace-test:${crypto.randomUUID()}`
    const pace = createSharedPacer(env.SEND_RATE_LIMITER, sender, rate, 100)
    const permits: number[] = []
    const started = Date.now()
    // Five sends in flight at once, as a consumer batch runs them.
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        for (let i = 0; i < 20; i++) {
          await pace()
          permits.push(Date.now())
        }
      }),
    )
    expect(permits).toHaveLength(100)
    expect(busiestSecond(permits)).toBeLessThanOrEqual(bound)
    // 100 at 50 a second: two seconds less the bucket, give or take a slow machine's timers.
    expect(Date.now() - started).toBeGreaterThanOrEqual((100 - burstSize(rate) - 1) * 20 * 0.95)
  }, 30_000)
})
