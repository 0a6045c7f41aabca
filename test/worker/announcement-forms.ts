import { expect } from 'vitest'
import { call, query } from './helpers'

/** Helpers of the announcement form tests: an announcement as stored, and a form's fields. */

/** Schedules an announcement through the API and answers it as stored. */
export async function scheduleByApi(communityId: string, body: Record<string, unknown>) {
  const answer = await call('POST', `/api/communities/${communityId}/announcements`, { body })
  expect(answer.status, answer.text).toBe(201)
  return answer.json
}

export async function stored(id: string) {
  const [row] = await query<{
    body: string
    translations: string | null
    audience_group_ids: string | null
    send_at: number | null
    repeat_cron: string | null
    repeat_timezone: string | null
    repeat_until: number | null
    updated_at: number
  }>(
    'select body, translations, audience_group_ids, send_at, repeat_cron, repeat_timezone, repeat_until, updated_at from announcements where id = ?',
    id,
  )
  return row!
}

/** The form's fields as the page shows them: what a browser would send back unchanged. */
export function formFields(html: string, action = '/edit'): Record<string, string | string[]> {
  const form = [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].find(
    (match) => match[1]!.split('?')[0]!.endsWith(action),
  )?.[2]
  expect(form, `the page has the form sent to …${action}`).toBeTruthy()
  const fields: Record<string, string | string[]> = {}
  const add = (name: string, value: string) => {
    const before = fields[name]
    fields[name] = before === undefined ? value : [before].flat().concat(value)
  }
  const unescape = (text: string) =>
    text
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
  for (const input of form!.matchAll(/<input ([^>]*)>/g)) {
    const attributes = input[1]!
    const name = /name="([^"]+)"/.exec(attributes)?.[1]
    if (!name) continue
    const type = /type="([^"]+)"/.exec(attributes)?.[1]
    if ((type === 'radio' || type === 'checkbox') && !/ checked/.test(attributes)) continue
    add(name, unescape(/value="([^"]*)"/.exec(attributes)?.[1] ?? ''))
  }
  for (const area of form!.matchAll(/<textarea [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
    add(area[1]!, unescape(area[2]!.replace(/^\n/, '')))
  for (const select of form!.matchAll(/<select [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const chosen =
      /<option (?:value="([^"]*)" )?selected[^>]*>([^<]*)/.exec(select[2]!) ??
      /<option (?:value="([^"]*)")?[^>]*>([^<]*)/.exec(select[2]!)
    add(select[1]!, chosen![1] ?? chosen![2]!)
  }
  return fields
}
