import { describe, expect, it } from 'vitest'
import { call, createCommunity } from './helpers'
import { signIn } from './dashboard-helpers'

/** Opens a dashboard page as a German browser would, with the cookies it holds. */
function open(path: string, cookies: string[]) {
  return call('GET', path, {
    token: null,
    headers: { cookie: cookies.join('; '), accept: 'text/html', 'accept-language': 'de-DE,de' },
  })
}

/** The language cookie an answer set, as the browser sends it back, or undefined. */
function languageCookie(answer: { headers: Headers }): string | undefined {
  const set = answer.headers.get('set-cookie') ?? ''
  return /(?:^|, )(cg_lang=[a-z]+)/.exec(set)?.[1]
}

describe('dashboard: the language chosen stays chosen', () => {
  it('keeps English on the pages a link leads to, and German again once switched back', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()

    const home = await open('/admin?lang=en', [cookie])
    expect(home.text).toContain('<html lang="en">')
    const english = languageCookie(home)
    expect(english).toBe('cg_lang=en')
    expect(home.headers.get('set-cookie')).toMatch(/cg_lang=en; Path=\/admin; HttpOnly/)

    // A link of that page carries no `lang`: the page it opens is English all the same.
    const linked = await open(`/admin/communities/${community.id}`, [cookie, english!])
    expect(linked.text).toContain('<html lang="en">')
    expect(linked.text).toContain('>Deutsch</a>')
    expect(languageCookie(linked)).toBeUndefined()
    // A language we do not speak leaves the choice as it is.
    const unknown = await open(`/admin/communities/${community.id}?lang=fr`, [cookie, english!])
    expect(unknown.text).toContain('<html lang="en">')
    expect(languageCookie(unknown)).toBeUndefined()
    // So are the sign-in page and the dashboard's error pages.
    expect((await open('/admin/login', [english!])).text).toContain('<html lang="en">')
    const missing = await open(`/admin/communities/cmt_${'0'.repeat(26)}`, [cookie, english!])
    expect(missing.status).toBe(404)
    expect(missing.text).toContain('<html lang="en">')

    // "Deutsch" switches back, and that sticks too.
    const switched = await open(`/admin/communities/${community.id}?lang=de`, [cookie, english!])
    expect(switched.text).toContain('<html lang="de">')
    const german = languageCookie(switched)
    expect(german).toBe('cg_lang=de')
    const next = await open(`/admin/communities/${community.id}/settings`, [cookie, german!])
    expect(next.text).toContain('<html lang="de">')
    expect(next.text).toContain('>English</a>')
  })
})
