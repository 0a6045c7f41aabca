import { z } from 'zod'
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

/**
 * The host of a Referer header, or null when there is none or it is no web page's address. Only
 * http(s) hosts, held to the rule of a link's `ref` (`originRef`): another scheme's "host" is
 * nearly free text, and it would reach every admin's referrer stats as written.
 */
export function referrerHost(referer: string | undefined): string | null {
  if (!referer) return null
  try {
    const url = new URL(referer)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
    return originRef(url.hostname.toLowerCase())
  } catch {
    return null
  }
}

/** How a person came to sign up, kept on the join request so the funnel breaks down by it. */
export interface JoinOrigin {
  via: 'qr' | 'link' | 'unknown'
  device: DeviceClass | 'unknown'
  /** The host that referred them to the landing page, '' for none. */
  referrerHost: string
}

const UNKNOWN_ORIGIN: JoinOrigin = { via: 'unknown', device: 'unknown', referrerHost: '' }

/** Where a sign-up comes from, as the join input carries it. */
export interface SignUpPlace {
  /** Where the person joins from (ISO 3166, XX unknown), for the link's stats by country. */
  country: string
  /** How they came, for the funnel's breakdowns; unknown when not given. */
  origin?: JoinOrigin
}

/**
 * The visitor's country (ISO 3166 alpha-2, XX unknown), as Cloudflare's edge geolocates the IP
 * address: in the `CF-IPCountry` header where the zone has IP Geolocation on, and always in
 * `request.cf`, read only when the header is missing or not a code: reading `request.cf` builds
 * the whole cf object (TLS, bot management, location), which was a tenth of a landing page's
 * CPU. It feeds the stats and nothing else, so a visitor who could set the header themselves
 * would only misplace their own visit, as a VPN does.
 */
export function visitorCountry(request: Request): string {
  const header = request.headers.get('cf-ipcountry')
  if (header !== null && COUNTRY_CODE.test(header)) return header
  const country = request.cf?.country
  return typeof country === 'string' && COUNTRY_CODE.test(country) ? country : 'XX'
}

const COUNTRY_CODE = /^[A-Z]{2}$/

/** A sign-up's place from its request: its country, the join link's origin, the agent. */
export function signUpPlace(
  request: Request,
  query: Record<string, string | undefined>,
  userAgent: string | undefined,
): SignUpPlace {
  return { country: visitorCountry(request), origin: joinOrigin(query, userAgent) }
}

/** The join request's columns for a sign-up's place. */
export function placeColumns(place: SignUpPlace) {
  return { country: place.country, ...(place.origin ?? UNKNOWN_ORIGIN) }
}

// Only a plain host name travels in the join link: nothing in it needs escaping anywhere.
const OriginQuery = z.object({
  via: z.enum(['qr', 'link', 'unknown']).catch('unknown'),
  ref: z
    .string()
    .regex(/^[a-z0-9.-]{1,253}$/)
    .catch(''),
})

/**
 * The origin of a sign-up: the landing page passes its way in and referrer host on to the join
 * form's link (`originQuery`), and the device class comes from the sign-up's own user agent.
 */
export function joinOrigin(
  query: Record<string, string | undefined>,
  userAgent: string | undefined,
): JoinOrigin {
  const { via, ref } = OriginQuery.parse({ via: query.via, ref: query.ref })
  // A sign-up sent without a user agent (a script of the community's own) is not a bot's visit.
  return { via, device: userAgent ? deviceClass(userAgent) : 'unknown', referrerHost: ref }
}

/** The referrer host a link's `ref` names, checked as the join form checks it; null for none. */
export function originRef(value: string | undefined): string | null {
  return OriginQuery.shape.ref.parse(value) || null
}

/** Whether `referer` is the page at `url` itself, on the same host (its own language switch). */
export function isSamePage(referer: string, url: string): boolean {
  const to = new URL(url)
  try {
    const from = new URL(referer)
    return from.origin === to.origin && from.pathname === to.pathname
  } catch {
    return false
  }
}

/** The join link's origin parameters again, for the join form's action. */
export function originQueryOf(query: Record<string, string | undefined>): string {
  const origin = joinOrigin(query, undefined)
  return originQuery(origin.via, origin.referrerHost)
}

/** The query parameters that carry a landing visit's way in and referrer to the join form. */
export function originQuery(via: string, referrer: string | null): string {
  const { via: v, ref } = OriginQuery.parse({ via, ref: referrer ?? '' })
  return ref ? `via=${v}&ref=${ref}` : `via=${v}`
}
