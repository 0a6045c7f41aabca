import { OUTBOUND_REFUSALS, type OutboundRefusal } from '../outbound'
import { type Lang, outboundRefusalText } from './index'

/**
 * A delivery's reason (services/delivery/reasons.ts) in the dashboard reader's language. The
 * stored phrases are stable English, which the API and the CSV give as they are: only the pages
 * translate them. Anything this does not know (a phrase added without its German) stays as
 * stored rather than being hidden.
 */
export function deliveryReasonText(lang: Lang, reason: string): string {
  if (lang === 'en') return reason
  const fixed = GERMAN[reason]
  if (fixed) return fixed
  for (const [pattern, text] of GERMAN_PATTERNS) {
    const match = pattern.exec(reason)
    const shown = match && text(match)
    if (shown) return shown
  }
  return reason
}

/** The fixed phrases, in German. */
const GERMAN: Record<string, string> = {
  'redirect not followed': 'Weiterleitung nicht gefolgt',
  'timed out': 'Zeitüberschreitung',
  'network error': 'Netzwerkfehler',
  'outcome unknown: an earlier attempt was interrupted after sending':
    'Ausgang unbekannt: Ein früherer Versuch wurde nach dem Senden unterbrochen',
  'timed out: outcome unknown': 'Zeitüberschreitung: Ausgang unbekannt',
  'connection lost: outcome unknown': 'Verbindung abgebrochen: Ausgang unbekannt',
  'outcome unknown: the attempt was interrupted after it may have been sent':
    'Ausgang unbekannt: Der Versuch wurde unterbrochen, nachdem er vielleicht schon gesendet war',
  'outcome unknown: the last attempt was interrupted after it may have been sent':
    'Ausgang unbekannt: Der letzte Versuch wurde unterbrochen, nachdem er vielleicht schon gesendet war',
  'interrupted; sent again with the same webhook-id':
    'Unterbrochen; mit derselben webhook-id erneut gesendet',
  'run cancelled': 'Durchlauf abgebrochen',
  'member left': 'Mitglied ausgetreten',
  'no phone number': 'Keine Telefonnummer',
  'phone number not confirmed': 'Telefonnummer nicht bestätigt',
  'the number sent STOP': 'Die Nummer hat STOP gesendet',
  // Why a decision's WhatsApp notice was not sent (services/decision-notices.ts).
  'outside the 24-hour window, and no template':
    'Außerhalb des 24-Stunden-Fensters, und keine Vorlage eingerichtet',
  'sign-up gone': 'Anmeldung gelöscht',
  'no confirmed contact': 'Kein bestätigter Kontakt',
  'announcement deleted': 'Ankündigung gelöscht',
  'event not found': 'Ereignis nicht gefunden',
  'endpoint removed': 'Endpunkt entfernt',
  'endpoint stopped: it answered 410 Gone': 'Endpunkt angehalten: Er hat mit 410 Gone geantwortet',
  'unexpected error': 'Unerwarteter Fehler',
  'webhook channel is not configured (DELIVERY_WEBHOOK_URL, DELIVERY_WEBHOOK_SECRET)':
    'Der Webhook-Kanal ist nicht eingerichtet (DELIVERY_WEBHOOK_URL, DELIVERY_WEBHOOK_SECRET)',
  'WhatsApp is not configured (WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID)':
    'WhatsApp ist nicht eingerichtet (WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID)',
  'delivery failed': 'Zustellung fehlgeschlagen',
  // What WhatsApp reported back (platforms/whatsapp/errors.ts).
  'Sending too fast for WhatsApp (throughput limit); sent again later':
    'Zu schnell für WhatsApp gesendet (Durchsatzgrenze); später erneut gesendet',
  'Too many messages to this person in a short time; sent again later':
    'Zu viele Nachrichten in kurzer Zeit an diese Person; später erneut gesendet',
  'WhatsApp limits the marketing messages this person receives; tried again later':
    'WhatsApp begrenzt die Marketing-Nachrichten an diese Person; später erneut versucht',
  'Sending too fast for WhatsApp (throughput limit); not sent again':
    'Zu schnell für WhatsApp gesendet (Durchsatzgrenze); nicht erneut gesendet',
  'Too many messages to this person in a short time; not sent again':
    'Zu viele Nachrichten in kurzer Zeit an diese Person; nicht erneut gesendet',
  'WhatsApp limits the marketing messages this person receives; not sent again':
    'WhatsApp begrenzt die Marketing-Nachrichten an diese Person; nicht erneut gesendet',
  'Spam rate limit reached: the broadcast was paused':
    'Spam-Grenze erreicht: Der Versand wurde angehalten',
  'Cannot be delivered to this number (not on WhatsApp, or an old app)':
    'An diese Nummer nicht zustellbar (nicht bei WhatsApp oder eine alte App)',
  'The person stopped marketing messages from this business':
    'Die Person hat Marketing-Nachrichten dieses Absenders abbestellt',
  'WhatsApp could not deliver it': 'WhatsApp konnte sie nicht zustellen',
}

/** The phrases with a part that varies: a status, an error code, a refusal, a pause's cause. */
const GERMAN_PATTERNS: Array<[RegExp, (match: RegExpExecArray) => string | null]> = [
  [
    /^HTTP (\d{3}) from the endpoint(?: \(error (\d{1,16})\))?$/,
    ([, status, code]) => `HTTP ${status} vom Endpunkt${code ? ` (Fehler ${code})` : ''}`,
  ],
  [
    /^WhatsApp could not deliver it \(error (\d{1,16})\)$/,
    ([, code]) => `WhatsApp konnte sie nicht zustellen (Fehler ${code})`,
  ],
  [
    /^WhatsApp did not take it at any attempt \(error (\d{1,16})\)$/,
    ([, code]) => `WhatsApp hat sie bei keinem Versuch angenommen (Fehler ${code})`,
  ],
  [
    /^refused: (.+)$/,
    ([, refusal]) =>
      OUTBOUND_REFUSALS.includes(refusal as OutboundRefusal)
        ? `Adresse abgelehnt: ${outboundRefusalText('de', refusal as OutboundRefusal)}`
        : null,
  ],
  [
    /^broadcast paused: (.*)$/,
    ([, cause]) =>
      cause ? `Versand angehalten: ${deliveryReasonText('de', cause)}` : 'Versand angehalten',
  ],
]
