import { describe, expect, it } from 'vitest'
import { call, createAdmin, createCommunity, createGroup, eventually, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

const linksOf = (communityId: string) =>
  query<{
    label: string
    source: string | null
    campaign: string | null
    group_id: string | null
    max_uses: number | null
    code: string
  }>(
    'select label, source, campaign, group_id, max_uses, code from invites where community_id = ? order by id',
    communityId,
  )

describe('several links at once, from the overview', () => {
  it('makes a link per line with the settings shared, and lists each to copy and download', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id, { name: 'Stage crew' })
    const { cookie } = await signIn()
    // Offered under the one link's form, on a page of its own.
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    expect(overview.text).toContain(`<a href="/admin/communities/${community.id}/links/bulk">`)
    const form = await page(`/admin/communities/${community.id}/links/bulk`, cookie)
    expect(form.status).toBe(200)
    expect(form.text).toContain(`action="/admin/communities/${community.id}/links/bulk"`)
    expect(form.text).toMatch(/<textarea id="labels" name="labels"/)
    // The sources and campaigns the community's links carry are suggested.
    await call('POST', `/api/communities/${community.id}/invites`, {
      body: { source: 'instagram', campaign: 'launch' },
    })
    expect((await page(`/admin/communities/${community.id}/links/bulk`, cookie)).text).toContain(
      '<option value="launch">',
    )

    const made = await post(`/admin/communities/${community.id}/links/bulk`, cookie, {
      _csrf: csrfOf(form.text),
      // Blank lines and spaces around a name are skipped; Windows line ends are lines too.
      labels: 'Poster Kreuzberg\n\n  Poster Neukölln  \r\nPoster Wedding\n',
      source: 'poster',
      campaign: 'spring',
      groupId: group.id,
      maxUses: '10',
      validUntil: '',
    })
    // On to a page of its own address: reloading it makes nothing again.
    expect(made.status, made.text).toBe(303)
    const listedAt = made.headers.get('location')!
    expect(listedAt).toMatch(
      new RegExp(
        `^/admin/communities/${community.id}/links/bulk\\?made=(inv_[0-9a-z]{26},){2}inv_[0-9a-z]{26}$`,
      ),
    )
    const result = await page(listedAt, cookie)
    expect(result.text).toContain('3 links created')
    const stored = (await linksOf(community.id)).filter((link) => link.label !== null)
    expect(stored.map((link) => link.label)).toEqual([
      'Poster Kreuzberg',
      'Poster Neukölln',
      'Poster Wedding',
    ])
    for (const link of stored) {
      expect(link).toMatchObject({
        source: 'poster',
        campaign: 'spring',
        group_id: group.id,
        max_uses: 10,
      })
      // Each listed with its address to copy and its QR codes to download.
      expect(result.text).toContain(`data-copy="https://join.example.com/i/${link.code}"`)
      expect(result.text).toContain(`href="/i/${link.code}/qr.png?size=1024&amp;download=1"`)
      expect(result.text).toContain(`href="/i/${link.code}/qr.svg?download=1"`)
    }
    // The overview lists them, each with its address to copy.
    const listed = await page(`/admin/communities/${community.id}`, cookie)
    for (const link of stored) {
      expect(listed.text).toContain(`data-copy="https://join.example.com/i/${link.code}"`)
    }
    // Another community's page given these ids lists none of them: its form instead.
    const other = await createCommunity()
    const elsewhere = await page(listedAt.replace(community.id, other.id), cookie)
    expect(elsewhere.text).not.toContain('links created')
    expect(elsewhere.text).toMatch(/<textarea id="labels"/)
    await eventually(async () => {
      const log = await call(
        'GET',
        `/api/communities/${community.id}/audit-log?action=link.created`,
      )
      // The three, and the link the API made above.
      expect(log.json.data).toHaveLength(4)
    })

    // In German, in the language the form was sent in.
    const german = await post(`/admin/communities/${community.id}/links/bulk?lang=de`, cookie, {
      _csrf: csrfOf(form.text),
      labels: 'Flyer A\nFlyer B',
    })
    expect(german.status).toBe(303)
    const germanPage = await page(german.headers.get('location')!, cookie)
    expect(germanPage.text).toContain('2 Links angelegt')
    // Each link's page in the language the form was sent in.
    expect(germanPage.text).toMatch(/<a href="\/admin\/links\/inv_[0-9a-z]{26}\?lang=de">/)
  })

  it('sends the form back, as typed, with what to change, and makes none', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const foreign = await createGroup(other.id)
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/links/bulk`, cookie)
    const send = (fields: Record<string, string>) =>
      post(`/admin/communities/${community.id}/links/bulk`, cookie, {
        _csrf: csrfOf(form.text),
        ...fields,
      })
    const cases: Array<[Record<string, string>, string]> = [
      [{ labels: ' \n \n' }, 'Write at least one name.'],
      [
        { labels: Array.from({ length: 51 }, (_, i) => `Poster ${i}`).join('\n') },
        'At most 50 lines at once.',
      ],
      // Counted as the field shows its lines, blank ones too.
      [{ labels: `\nShort\n\n${'x'.repeat(101)}` }, 'Line 4: at most 100 characters.'],
      [{ labels: 'Fine\nAlso fine\n\u200B' }, 'Line 3: only invisible characters.'],
      // Every refused line at once, by reason, so one send fixes them all.
      [
        {
          labels: `${'x'.repeat(101)}\nFine\n\u200B\n${'y'.repeat(120)}\n\u2060\n${'z'.repeat(101)}`,
        },
        'Lines 1, 4 and 6: at most 100 characters. Lines 3 and 5: only invisible characters.',
      ],
      [{ labels: 'Fine', maxUses: '0' }, 'id="maxUses-error"'],
      [{ labels: 'Fine', groupId: foreign.id }, 'id="groupId-error"'],
    ]
    for (const [fields, message] of cases) {
      const refused = await send(fields)
      expect(refused.status, message).toBe(400)
      expect(refused.text).toContain(message)
      // The top of the page says what to change, and leads to it.
      expect(refused.text).toMatch(
        /<div class="err" role="alert">.*<a href="#(labels|maxUses|groupId)">/s,
      )
    }
    const kept = await send({ labels: 'Poster <A>\nPoster B', maxUses: '0' })
    expect(kept.text).toContain('>\nPoster &lt;A&gt;\nPoster B</textarea>')
    // A blank first line comes back too, as HTML drops one line break after <textarea>.
    const blankFirst = await send({ labels: '\nEins\n\u200B\nDrei' })
    expect(blankFirst.text).toContain('Line 3: only invisible characters.')
    expect(blankFirst.text).toContain('>\n\nEins\n\u200B\nDrei</textarea>')
    const german = await post(`/admin/communities/${community.id}/links/bulk?lang=de`, cookie, {
      _csrf: csrfOf(form.text),
      labels: 'Eins\n\u200B\n\u2060',
    })
    expect(german.text).toContain('Zeilen 2 und 3: nur unsichtbare Zeichen.')
    expect(await linksOf(community.id)).toEqual([])
  })

  it('is for who may make the community’s links', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const outsider = await createAdmin(other.id, 'Outsider')
    const { cookie } = await signIn(outsider.token)
    const own = await page(`/admin/communities/${other.id}`, cookie)
    const refused = await post(`/admin/communities/${community.id}/links/bulk`, cookie, {
      _csrf: csrfOf(own.text),
      labels: 'Not mine',
    })
    expect([403, 404]).toContain(refused.status)
    expect(await linksOf(community.id)).toEqual([])
  })
})
