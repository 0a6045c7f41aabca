import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { otherLanguage, type Lang } from '../lib/i18n'

/**
 * Where a public page's language switch leads: the same address in the other language, the rest
 * of its query kept. Only a query, which the browser resolves against the page's own path: a path
 * written out would lead off the site for an address such as `//elsewhere.example/`. None for a
 * form's answer, whose address is the form's target, unless `opensAsShown`: that address opened
 * shows what the answer did (the confirmation and leave pages, once their button was pressed).
 * The join form's answer switches by sending the form again (`switchForm` of the layout).
 */
export function languageSwitchOf(
  c: Context<AppEnv>,
  lang: Lang,
  opensAsShown = false,
): string | undefined {
  if (!opensAsShown && c.req.method !== 'GET' && c.req.method !== 'HEAD') return undefined
  const url = new URL(c.req.url)
  url.searchParams.set('lang', otherLanguage(lang))
  return url.search
}
