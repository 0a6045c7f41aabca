import { describe, expect, it } from 'vitest'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createInvite,
  expectProblem,
  uniqueName,
} from './helpers'

const valid = { name: 'Valid', description: 'ok', visibility: 'open' }

/** Every refused request must leave the tables as they were. */
async function expectNothingWritten(action: () => Promise<unknown>) {
  const before = [
    await countRows('communities'),
    await countRows('groups'),
    await countRows('api_tokens'),
  ]
  await action()
  expect([
    await countRows('communities'),
    await countRows('groups'),
    await countRows('api_tokens'),
  ]).toEqual(before)
}

describe('bad input is refused with a 4xx and changes nothing', () => {
  it('malformed JSON', async () => {
    await expectNothingWritten(async () => {
      const response = await call('POST', '/api/communities', {
        rawBody: '{"name": "oops",',
        headers: { 'content-type': 'application/json' },
      })
      expectProblem(response, 400, 'malformed_json')
    })
  })

  it('a body that is not JSON', async () => {
    await expectNothingWritten(async () => {
      const response = await call('POST', '/api/communities', {
        rawBody: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      expectProblem(response, 415, 'unsupported_media_type')
    })
  })

  it('JSON in a charset other than UTF-8', async () => {
    const community = JSON.stringify({ ...valid, name: 'Ünïcode' })
    // The bytes such a client sends: UTF-16 (little-endian, as `charset=utf-16` is read).
    const utf16 = new Uint8Array(new Uint16Array([...community].map((c) => c.charCodeAt(0))).buffer)
    await expectNothingWritten(async () => {
      for (const [rawBody, charset] of [
        [utf16, 'utf-16'],
        [community, 'UTF-16LE'],
        [community, '"iso-8859-1"'],
      ] as const) {
        const response = await call('POST', '/api/communities', {
          rawBody,
          headers: { 'content-type': `application/json; charset=${charset}` },
        })
        const problem = expectProblem(response, 415, 'unsupported_media_type')
        expect(problem.detail).toContain('UTF-8')
      }
    })
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"']) {
      const response = await call('POST', '/api/communities', {
        rawBody: JSON.stringify({ ...valid, name: uniqueName() }),
        headers: { 'content-type': `application/json; charset=${charset}` },
      })
      expect(response.status, `${charset}: ${response.text}`).toBe(201)
    }
  })

  it('wrong types, with one error per field', async () => {
    await expectNothingWritten(async () => {
      const problem = expectProblem(
        await call('POST', '/api/communities', {
          body: { name: 42, description: 'x', visibility: 'secret' },
        }),
        400,
        'validation_failed',
      )
      expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        'name',
        'visibility',
      ])
    })
  })

  it('over-long strings and too many join questions', async () => {
    await expectNothingWritten(async () => {
      const problem = expectProblem(
        await call('POST', '/api/communities', {
          body: { ...valid, name: 'x'.repeat(101), joinQuestions: ['a', 'b', 'c', 'd', 'e', 'f'] },
        }),
        400,
        'validation_failed',
      )
      expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        'joinQuestions',
        'name',
      ])
    })
  })

  it('unknown fields', async () => {
    await expectNothingWritten(async () => {
      const problem = expectProblem(
        await call('POST', '/api/communities', { body: { ...valid, isAdmin: true } }),
        400,
        'validation_failed',
      )
      expect(problem.errors).toEqual([{ path: 'isAdmin', message: 'Unknown field' }])
    })
  })

  it('a photo URL that is not https or not on the image allow-list', async () => {
    await expectNothingWritten(async () => {
      for (const photoUrl of [
        'http://images.example.com/a.png',
        'https://tracker.example.net/pixel.gif',
        'data:image/png;base64,AAAA',
      ]) {
        const problem = expectProblem(
          await call('POST', '/api/communities', { body: { ...valid, photoUrl } }),
          400,
          'validation_failed',
        )
        expect(problem.errors[0].path).toBe('photoUrl')
      }
      // Its own reason, whatever the allow-list: a user name or password in an image's URL.
      const credentials = expectProblem(
        await call('POST', '/api/communities', {
          body: { ...valid, photoUrl: 'https://user:pass@images.example.com/a.png' },
        }),
        400,
        'validation_failed',
      )
      expect(credentials.errors).toEqual([
        { path: 'photoUrl', message: 'An image URL may not hold a user name or password' },
      ])
    })
  })

  it('a photo, icon or webhook URL with a space, a control character or a letter outside ASCII', async () => {
    const community = await createCommunity()
    await expectNothingWritten(async () => {
      for (const url of [
        'https://images.example.com/a b.png',
        'https://images.example.com/a\tb.png',
        ' https://images.example.com/a.png',
        'https://images.example.com/\u0007.png',
        'https://images.exämple.com/a.png',
        'https://images.example.com/ä.png',
        // A `%` that starts no escape: no URI, whatever a URL parser makes of it.
        'https://images.example.com/%zz.png',
        'https://images.example.com/a%2.png',
      ]) {
        for (const [method, path, field] of [
          ['POST', '/api/communities', 'photoUrl'],
          ['PATCH', `/api/communities/${community.id}`, 'photoUrl'],
          ['POST', `/api/communities/${community.id}/groups`, 'iconUrl'],
          ['POST', '/api/webhooks', 'url'],
        ] as const) {
          const body =
            method === 'PATCH'
              ? { photoUrl: url }
              : field === 'iconUrl'
                ? { name: 'Group', iconUrl: url }
                : field === 'url'
                  ? { url, events: ['*'] }
                  : { ...valid, photoUrl: url }
          const problem = expectProblem(
            await call(method, path, { body }),
            400,
            'validation_failed',
          )
          expect(problem.errors, `${url} ${path}`).toEqual([
            { path: field, message: expect.stringContaining('percent-encode') },
          ])
        }
      }
    })
    const encoded = await call('PATCH', `/api/communities/${community.id}`, {
      body: { photoUrl: 'https://images.example.com/a%20b%C3%A4.png' },
    })
    expect(encoded.status, encoded.text).toBe(200)
    expect(encoded.json.photoUrl).toBe('https://images.example.com/a%20b%C3%A4.png')
  })

  it('a bad slug', async () => {
    await expectNothingWritten(async () => {
      for (const slug of ['Has Spaces', 'ÜML', '-edge-', 'ab', 'a--b']) {
        expectProblem(
          await call('POST', '/api/communities', { body: { ...valid, slug } }),
          400,
          'validation_failed',
        )
      }
    })
  })

  it('a body over 64 KiB', async () => {
    await expectNothingWritten(async () => {
      const response = await call('POST', '/api/communities', {
        body: { ...valid, description: 'x'.repeat(70 * 1024) },
      })
      expectProblem(response, 413, 'payload_too_large')
    })
  })

  it('an empty change', async () => {
    const community = await createCommunity()
    expectProblem(
      await call('PATCH', `/api/communities/${community.id}`, { body: {} }),
      400,
      'validation_failed',
    )
  })

  it('query strings out of range', async () => {
    expectProblem(await call('GET', '/api/communities?limit=0'), 400, 'validation_failed')
    expectProblem(await call('GET', '/api/communities?limit=1000'), 400, 'validation_failed')
    // A number not written as an integer is told what is wanted, not that it is text.
    for (const limit of ['1e1', '%2B5', '0x14']) {
      const problem = expectProblem(
        await call('GET', `/api/communities?limit=${limit}`),
        400,
        'validation_failed',
      )
      expect(problem.errors).toEqual([
        { path: 'limit', message: 'An integer from 1 to 100, written in digits' },
      ])
    }
    expectProblem(
      await call('GET', '/api/communities?cursor=%27%20or%201=1'),
      400,
      'validation_failed',
    )
  })

  it('a cursor of another listing: refused, where it would page from a meaningless place', async () => {
    const community = await createCommunity()
    await createGroup(community.id)
    const groups = `/api/communities/${community.id}/groups`
    const first = await call('GET', `${groups}?limit=1`)
    expect(first.status, first.text).toBe(200)
    const groupCursor = first.json.nextCursor as string
    expect(groupCursor).toMatch(/^grp_/)
    // The groups' own cursor pages on; the same cursor given to the members or the invite
    // links, or the community's id given to the groups, is not one of theirs.
    expect((await call('GET', `${groups}?limit=1&cursor=${groupCursor}`)).status).toBe(200)
    for (const path of [
      `/api/communities/${community.id}/members?cursor=${groupCursor}`,
      `/api/communities/${community.id}/invites?cursor=${groupCursor}`,
      `${groups}?cursor=${community.id}`,
      `/api/communities?cursor=${groupCursor}`,
    ]) {
      const problem = expectProblem(await call('GET', path), 400, 'validation_failed')
      expect(problem.errors, path).toEqual([
        expect.objectContaining({ path: 'cursor', message: 'Not a cursor returned by this API' }),
      ])
    }
  })

  it('a cursor of deliveries that this API did not make', async () => {
    const community = await createCommunity()
    const announcement = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hello', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
    })
    expect(announcement.status, announcement.text).toBe(201)
    const deliveries = `/api/announcements/${announcement.json.id}/deliveries`
    for (const cursor of ['x', '%27%20or%201=1', `dsp_${'0'.repeat(26)}`, '~']) {
      const problem = expectProblem(
        await call('GET', `${deliveries}?cursor=${cursor}`),
        400,
        'validation_failed',
      )
      expect(problem.errors).toEqual([
        expect.objectContaining({ path: 'cursor', message: 'Not a cursor returned by this API' }),
      ])
    }
    expect(
      (await call('GET', `${deliveries}?cursor=dsp_${'0'.repeat(26)}~mem_${'0'.repeat(26)}`))
        .status,
    ).toBe(200)
  })
})

describe('a body sent to an operation that takes none', () => {
  const json = { 'content-type': 'application/json' }
  const saying = [
    ['{', 'malformed_json'],
    ['{"x":1}', 'validation_failed'],
    ['null', 'validation_failed'],
    ['[1,2]', 'validation_failed'],
  ] as const

  it('is refused with 400, and the action is not taken', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const announcement = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hello', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
    })
    expect(announcement.status, announcement.text).toBe(201)
    for (const [rawBody, code] of saying) {
      for (const [method, path] of [
        ['POST', `/api/invites/${invite.id}/rotate`],
        ['POST', `/api/invites/${invite.id}/archive`],
        ['POST', `/api/announcements/${announcement.json.id}/send-now`],
        ['DELETE', `/api/communities/${community.id}`],
      ]) {
        const problem = expectProblem(
          await call(method!, path!, { rawBody, headers: json }),
          400,
          code,
        )
        if (rawBody === '{"x":1}')
          expect(problem.errors).toEqual([{ path: 'x', message: 'Unknown field' }])
      }
    }
    const after = await call('GET', `/api/invites/${invite.id}`)
    expect(after.json).toMatchObject({ code: invite.code, archivedAt: null })
    const unsent = await call('GET', `/api/announcements/${announcement.json.id}`)
    expect(unsent.json.status).toBe('scheduled')
    expect((await call('GET', `/api/communities/${community.id}`)).status).toBe(200)
  })

  it('may be left out, empty, or {}', async () => {
    const invite = await createInvite((await createCommunity()).id)
    let code = invite.code
    for (const options of [
      {},
      { headers: json, rawBody: '' },
      { headers: json, rawBody: ' {} ' },
    ]) {
      const rotated = await call('POST', `/api/invites/${invite.id}/rotate`, options)
      expect(rotated.status, rotated.text).toBe(200)
      expect(rotated.json.code).not.toBe(code)
      code = rotated.json.code
    }
  })
})

describe('error shape', () => {
  it('answers unknown routes with a 404 problem', async () => {
    const problem = expectProblem(await call('GET', '/api/nothing-here'), 404, 'not_found')
    expect(problem.type).toBe('https://join.example.com/api/problems/not_found')
    expect(problem.requestId).toBeTypeOf('string')
  })

  it('never leaks internals in a problem', async () => {
    const response = await call('POST', '/api/communities', {
      rawBody: '{',
      headers: { 'content-type': 'application/json' },
    })
    expect(response.text).not.toMatch(/at \w+ \(|stack|node_modules|src\//)
  })
})

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document without a token, covering every route', async () => {
    const response = await call('GET', '/api/openapi.json', { token: null })
    expect(response.status).toBe(200)
    expect(response.json.openapi).toBe('3.1.0')
    const paths = Object.keys(response.json.paths)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/communities',
        '/api/communities/{id}',
        '/api/communities/{id}/groups',
        '/api/groups/{id}',
        '/api/tokens',
        '/api/tokens/{id}',
        '/api/communities/{id}/admins',
        '/api/communities/{id}/admins/{tokenId}/promote',
      ]),
    )
    expect(response.json.components.schemas.Problem).toBeDefined()
    expect(response.json.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    })
  })

  it('names every operation with a unique, readable operationId, and states its license', async () => {
    const { json } = await call('GET', '/api/openapi.json', { token: null })
    const operations = Object.entries(json.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, { operationId?: string }>).map(
        ([method, operation]) => ({
          at: `${method.toUpperCase()} ${path}`,
          id: operation.operationId,
        }),
      ),
    )
    expect(operations.length).toBeGreaterThan(40)
    expect(
      operations.filter((operation) => !operation.id).map((operation) => operation.at),
    ).toEqual([])
    const ids = operations.map((operation) => operation.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]+$/)
    expect(json.info.license).toMatchObject({ name: 'MIT', identifier: 'MIT' })
  })

  it('serves an interactive reference at /api/docs', async () => {
    const response = await call('GET', '/api/docs', { token: null })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/html')
    expect(response.text).toContain('/api/openapi.json')
  })
})

describe('methods a path does not answer', () => {
  it('is a 405 with Allow, not a 404, on an existing path', async () => {
    const response = await call('PUT', '/api/communities')
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST')
    expect(response.json).toMatchObject({ code: 'method_not_allowed', status: 405 })

    const item = await call('PUT', '/api/communities/cmt_00000000000000000000000000')
    expect(item.status).toBe(405)
    expect(item.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH')
  })

  it('stays a 404 where no method answers', async () => {
    const response = await call('PUT', '/api/nothing-here')
    expect(response.status).toBe(404)
    expect(response.json.code).toBe('not_found')
  })
})
