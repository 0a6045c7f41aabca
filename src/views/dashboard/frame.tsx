import type { Child } from 'hono/jsx'
import { Csrf, words } from './shell'
import type { Lang } from '../../lib/i18n'
import { readablePhone } from '../../lib/contact'
import type { Member } from '../../db/schema'

/**
 * One of a community's tabs: the page's path after the community's, its name, and a count of
 * what waits there for this admin (shown when above 0).
 */
export type Tab = [path: string, label: string, count?: number]

/**
 * What stands above every page of one community: its name and the tabs this admin may open.
 * `current` is the page's path after the community's (`''` for the overview).
 */
export function CommunityFrame(props: {
  community: { id: string; name: string }
  tabs: Tab[]
  current: string
  children: Child
}) {
  return (
    <>
      <h1>
        <bdi>{props.community.name}</bdi>
      </h1>
      <nav class="tabs">
        {props.tabs.map(([path, label, count]) => (
          <a
            href={`/admin/communities/${props.community.id}${path}`}
            aria-current={props.current === path ? 'page' : undefined}
          >
            {label}
            {count ? (
              <>
                {' '}
                <span class="pill">{count}</span>
              </>
            ) : null}
          </a>
        ))}
      </nav>
      {props.children}
    </>
  )
}

/** A link to the next page of a list, when there is one. */
export function NextPageLink(props: { lang: Lang; href: string | undefined }) {
  if (!props.href) return null
  return (
    <p>
      <a href={props.href}>{words(props.lang).nextPage} →</a>
    </p>
  )
}

/** A button that carries out one action: a form of its own, with the session's form token. */
export function ActionButton(props: {
  action: string
  csrf: string
  label: Child
  kind?: 'secondary' | 'danger'
  /** Asked before sending, where the action cannot be undone. */
  confirm?: string
}) {
  return (
    <form method="post" action={props.action} class="inline" data-confirm={props.confirm}>
      <Csrf token={props.csrf} />
      <button type="submit" class={props.kind}>
        {props.label}
      </button>
    </form>
  )
}

/**
 * Copies `text` to the clipboard: hidden until the page's script finds a clipboard (no button
 * that does nothing), then says it did.
 */
export function CopyButton(props: { lang: Lang; text: string }) {
  const t = words(props.lang)
  return (
    <button type="button" class="secondary" hidden data-copy={props.text} data-done={t.copied}>
      {t.copy}
    </button>
  )
}

type ContactFields = Pick<Member, 'phone' | 'email'> &
  Partial<Pick<Member, 'telegramUsername' | 'telegramUserId'>>

/**
 * Every contact a member or applicant gave, as people read them (phone, e-mail, Telegram
 * account), one a line.
 */
export function Contacts({ of: person }: { of: ContactFields }) {
  const contacts = [
    person.phone && readablePhone(person.phone),
    person.email,
    person.telegramUsername
      ? `@${person.telegramUsername} (Telegram)`
      : person.telegramUserId != null && `Telegram ${person.telegramUserId}`,
  ]
  return (
    <>
      {contacts.filter(Boolean).map((contact) => (
        <div>
          <bdi>{contact}</bdi>
        </div>
      ))}
    </>
  )
}

/** A person's name with the contacts they gave under it, muted: an applicant's row. */
export function NameWithContacts({ of: person }: { of: ContactFields & { name: string } }) {
  return (
    <>
      <bdi>{person.name}</bdi>
      <div class="muted">
        <Contacts of={person} />
      </div>
    </>
  )
}
