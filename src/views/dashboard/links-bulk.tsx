import type { Group, Invite } from '../../db/schema'
import { formatNumber, LINKS_BULK_WORDS, type Lang } from '../../lib/i18n'
import { BULK_LINKS_MAX } from '../../services/invites-bulk'
import { Field, fieldAttributes, sentText, TextArea, type FormState } from '../form-fields'
import { CopyButton } from './frame'
import { RefusedSummary } from './refused-summary'
import { LinkFields, type KnownTags } from './link-forms'
import { Csrf, words } from './shell'

/** The settings a bulk form shares among its links: every link setting but a name and a code. */
export const BULK_SHARED_FIELDS = [
  'source',
  'campaign',
  'groupId',
  'maxUses',
  'validUntil',
] as const

/**
 * Several links at once: a name per line, and the settings all of them share. Each line becomes
 * a link with a random code. Sent back refused, it says what to change at its top, as typed.
 */
export function BulkLinksForm(props: {
  lang: Lang
  action: string
  back: string
  csrf: string
  groups: Group[]
  form: FormState | undefined
  known?: KnownTags
}) {
  const b = LINKS_BULK_WORDS[props.lang]
  const max = formatNumber(props.lang, BULK_LINKS_MAX)
  return (
    <>
      <h1>{b.heading}</h1>
      <RefusedSummary lang={props.lang} forms={[{ form: props.form }]} />
      <section>
        <p class="muted">{b.hint}</p>
        <form method="post" action={props.action}>
          <Csrf token={props.csrf} />
          <Field form={props.form} field="labels" label={b.names(max)}>
            <TextArea
              id="labels"
              name="labels"
              rows={8}
              required
              placeholder={b.namesPlaceholder}
              {...fieldAttributes(props.form, 'labels', { withValue: false })}
              text={sentText(props.form, 'labels')}
            />
          </Field>
          <LinkFields
            lang={props.lang}
            form={props.form}
            groups={props.groups}
            prefix=""
            only={BULK_SHARED_FIELDS}
            known={props.known}
          />
          <p>
            <button type="submit">{b.create}</button>{' '}
            <a class="button secondary" href={props.back}>
              {b.back}
            </a>
          </p>
        </form>
      </section>
    </>
  )
}

/** What a bulk form made: each link with its address to copy and its QR codes to download. */
export function LinksMade(props: {
  lang: Lang
  links: Invite[]
  baseUrl: string
  /** A dashboard path in the page's language. */
  href: (path: string) => string
  back: string
}) {
  const t = words(props.lang)
  const b = LINKS_BULK_WORDS[props.lang]
  return (
    <>
      <h1>{b.madeTitle(formatNumber(props.lang, props.links.length))}</h1>
      <p class="muted">{b.madeHint}</p>
      <table class="cards">
        <thead>
          <tr>
            <th>{b.name}</th>
            <th>{b.link}</th>
            <th>{b.qr}</th>
          </tr>
        </thead>
        <tbody>
          {props.links.map((invite) => {
            const url = `${props.baseUrl}/i/${invite.code}`
            return (
              <tr>
                <td data-label={b.name}>
                  <a href={props.href(`/admin/links/${invite.id}`)}>
                    <bdi>{invite.label ?? invite.code}</bdi>
                  </a>
                </td>
                <td data-label={b.link} class="actions">
                  <span class="code">{url}</span> <CopyButton lang={props.lang} text={url} />
                </td>
                <td data-label={b.qr} class="actions">
                  <a href={`/i/${invite.code}/qr.svg?download=1`}>{t.downloadSvg}</a>
                  {' · '}
                  <a href={`/i/${invite.code}/qr.png?size=1024&download=1`}>{t.downloadPng}</a>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <p>
        <a class="button" href={props.back}>
          {b.back}
        </a>
      </p>
    </>
  )
}
