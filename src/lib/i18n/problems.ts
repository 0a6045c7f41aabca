import type { ErrorCode } from '../errors'
import type { Lang } from './index'

/**
 * What an error page says when the error's own sentence is the API's English: what its code
 * means, in the reader's words. English pages show the API's sentence itself, which is more
 * precise; a code not listed gets the page's `problemFallback`.
 */
export const PROBLEM_TEXTS: Record<Exclude<Lang, 'en'>, Partial<Record<ErrorCode, string>>> = {
  de: {
    invalid_state:
      'Das geht nicht mehr: Der Stand hat sich inzwischen geändert. Lade die Seite neu.',
    invalid_role_change: 'Diese Rolle lässt sich so nicht ändern.',
    announcement_group_protected:
      'Die Ankündigungsgruppe gehört zu jeder Community und lässt sich nicht löschen.',
    group_limit_reached: 'Diese Community hat schon so viele Gruppen wie erlaubt.',
    max_uses_below_uses: 'Das Limit darf nicht unter den bisherigen Nutzungen liegen.',
    group_in_use:
      'Ankündigungen sind an diese Gruppe geplant oder werden gerade an sie gesendet. Ändere ihre Empfänger oder sag sie ab, oder warte, bis sie gesendet sind, bevor du die Gruppe löschst.',
    member_limit_below_members: 'Das Limit darf nicht unter der Zahl der Mitglieder liegen.',
    slug_taken: 'Dieser Name ist schon vergeben.',
    code_taken: 'Dieser Code ist schon vergeben.',
    already_member: 'Diese Person ist schon Mitglied.',
    group_full: 'Diese Gruppe ist voll.',
    conflict: 'Das hat gerade nicht geklappt. Bitte versuch es noch einmal.',
    payload_too_large: 'Das war zu viel auf einmal.',
    unauthorized: 'Bitte melde dich an.',
    csrf_failed:
      'Das Formular ist abgelaufen. Geh zurück: Was du eingegeben hast, steht noch da. Kopiere es, lade die Seite neu und sende es noch einmal.',
  },
}
