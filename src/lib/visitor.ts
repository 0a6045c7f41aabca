import type { DeviceClass } from '../db/schema'

/**
 * Crawlers, link-preview fetchers (what runs when a link is pasted into a chat) and HTTP
 * libraries. They must not count as people in a marketer's funnel.
 */
const BOT_PATTERN =
  /bot\b|bot\/|crawl|spider|slurp|preview|facebookexternalhit|facebookcatalog|meta-externalagent|whatsapp|telegram|twitter|slack|discord|linkedin|skype|embedly|pinterest|vkshare|qwantify|bitlybot|outbrain|google-inspectiontool|headlesschrome|lighthouse|curl\/|wget\/|python-requests|python-urllib|aiohttp|go-http-client|okhttp|java\/|node-fetch|undici|axios|libwww|httpclient|scrapy|postman|insomnia/i

export function isBot(userAgent: string | undefined): boolean {
  return !userAgent || userAgent.length < 10 || BOT_PATTERN.test(userAgent)
}

export function deviceClass(userAgent: string | undefined): DeviceClass {
  if (isBot(userAgent)) return 'bot'
  const ua = userAgent ?? ''
  if (/ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))/i.test(ua)) return 'tablet'
  if (/mobi|iphone|ipod|android|windows phone|blackberry|opera mini/i.test(ua)) return 'mobile'
  return 'desktop'
}

/** The host of a Referer header, or null when there is none or it is not a URL. */
export function referrerHost(referer: string | undefined): string | null {
  if (!referer) return null
  try {
    return new URL(referer).hostname.toLowerCase().slice(0, 253) || null
  } catch {
    return null
  }
}
