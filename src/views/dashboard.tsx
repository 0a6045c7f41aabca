import { DOCTYPE } from './doctype'
import type { Child } from 'hono/jsx'
import type { Lang } from '../lib/i18n'

/**
 * The admin and marketer dashboard's pages: server-rendered, plain forms (works without
 * JavaScript), one inline stylesheet and a few lines of progressive enhancement (copy buttons,
 * confirm dialogs). German and English.
 */
const WORDS = {
  en: {
    dashboard: 'Dashboard',
    signIn: 'Sign in',
    signOut: 'Sign out',
    signOutEverywhere: 'Sign out everywhere',
    token: 'API token',
    communities: 'Communities',
    pending: 'pending',
    links: 'Campaign links',
    groups: 'Groups',
    members: 'Members',
    approvals: 'Approvals',
    announcements: 'Announcements',
    create: 'Create',
    label: 'Label',
    source: 'Source (channel)',
    medium: 'Medium',
    campaign: 'Campaign',
    maxUses: 'Max uses',
    group: 'Group',
    wholeCommunity: 'Whole community',
    visits: 'Visits',
    scans: 'QR scans',
    clicks: 'Link clicks',
    requests: 'Join requests',
    joins: 'Joins',
    conversion: 'Conversion',
    copy: 'Copy',
    copied: 'Copied',
    revoke: 'Revoke',
    rotate: 'New code',
    downloadSvg: 'Download SVG (print)',
    downloadPng: 'Download PNG (social)',
    byDay: 'By day',
    bySource: 'By source',
    byCountry: 'By country',
    approve: 'Approve',
    reject: 'Reject',
    approveSelected: 'Approve selected',
    rejectSelected: 'Reject selected',
    reason: 'Reason (optional)',
    noPending: 'No pending requests.',
    referredBy: 'referred by',
    answers: 'Answers',
    search: 'Search',
    remove: 'Remove',
    exportCsv: 'Export CSV',
    status: 'Status',
    compose: 'New announcement',
    text: 'Text',
    audience: 'Audience',
    everyone: 'Everyone (announcement group)',
    once: 'Once at',
    repeat: 'Repeat (cron rule)',
    timezone: 'Time zone',
    schedule: 'Schedule',
    preview: 'Show next runs',
    nextRuns: 'Next runs',
    sendNow: 'Send now',
    cancel: 'Cancel',
    delivered: 'Delivered',
    failed: 'Failed',
    queued: 'Queued',
    skipped: 'Skipped',
    leaderboard: 'Referral leaderboard',
    rewards: 'Rewards earned',
    limit: 'limit',
    confirmRevoke: 'Revoke this link? Its page and QR code stop working.',
    confirmRemove: 'Remove this member from the community?',
    signInHint: 'Sign in with an API token. The session lasts 8 hours.',
    wrongToken: 'This token is unknown or revoked.',
    all: 'All',
    active: 'active',
    open: 'open',
    closed: 'closed',
    noData: 'No visits in this period yet.',
    nameOrContact: 'Name, phone or e-mail',
    settings: 'Settings',
    save: 'Save',
    admins: 'Admins',
    promote: 'Make community admin',
    demote: 'Make group admin',
    newCommunity: 'New community',
    photo: 'Photo URL',
    purpose: 'Purpose',
    questions: 'Join questions (one per line, closed communities)',
    webhooks: 'Webhooks',
    endpoint: 'Endpoint URL',
    events: 'Events',
    secretOnce: 'Signing secret (shown only now):',
    nextPage: 'Next page',
    contact: 'Contact',
  },
  de: {
    dashboard: 'Dashboard',
    signIn: 'Anmelden',
    signOut: 'Abmelden',
    signOutEverywhere: 'Überall abmelden',
    token: 'API-Token',
    communities: 'Communities',
    pending: 'offen',
    links: 'Kampagnen-Links',
    groups: 'Gruppen',
    members: 'Mitglieder',
    approvals: 'Freigaben',
    announcements: 'Ankündigungen',
    create: 'Anlegen',
    label: 'Bezeichnung',
    source: 'Quelle (Kanal)',
    medium: 'Medium',
    campaign: 'Kampagne',
    maxUses: 'Max. Nutzungen',
    group: 'Gruppe',
    wholeCommunity: 'Ganze Community',
    visits: 'Besuche',
    scans: 'QR-Scans',
    clicks: 'Link-Klicks',
    requests: 'Anfragen',
    joins: 'Beitritte',
    conversion: 'Konversion',
    copy: 'Kopieren',
    copied: 'Kopiert',
    revoke: 'Zurückziehen',
    rotate: 'Neuer Code',
    downloadSvg: 'SVG herunterladen (Druck)',
    downloadPng: 'PNG herunterladen (Social)',
    byDay: 'Nach Tag',
    bySource: 'Nach Quelle',
    byCountry: 'Nach Land',
    approve: 'Annehmen',
    reject: 'Ablehnen',
    approveSelected: 'Auswahl annehmen',
    rejectSelected: 'Auswahl ablehnen',
    reason: 'Begründung (optional)',
    noPending: 'Keine offenen Anfragen.',
    referredBy: 'empfohlen von',
    answers: 'Antworten',
    search: 'Suchen',
    remove: 'Entfernen',
    exportCsv: 'CSV exportieren',
    status: 'Status',
    compose: 'Neue Ankündigung',
    text: 'Text',
    audience: 'Empfänger',
    everyone: 'Alle (Ankündigungsgruppe)',
    once: 'Einmal am',
    repeat: 'Wiederholen (Cron-Regel)',
    timezone: 'Zeitzone',
    schedule: 'Planen',
    preview: 'Nächste Termine zeigen',
    nextRuns: 'Nächste Termine',
    sendNow: 'Jetzt senden',
    cancel: 'Absagen',
    delivered: 'Zugestellt',
    failed: 'Fehlgeschlagen',
    queued: 'Wartend',
    skipped: 'Übersprungen',
    leaderboard: 'Empfehlungs-Rangliste',
    rewards: 'Verdiente Belohnungen',
    limit: 'Limit',
    confirmRevoke: 'Link zurückziehen? Seite und QR-Code funktionieren dann nicht mehr.',
    confirmRemove: 'Dieses Mitglied aus der Community entfernen?',
    signInHint: 'Mit einem API-Token anmelden. Die Sitzung gilt 8 Stunden.',
    wrongToken: 'Dieses Token ist unbekannt oder zurückgezogen.',
    all: 'Alle',
    active: 'aktiv',
    open: 'offen',
    closed: 'geschlossen',
    noData: 'Noch keine Besuche in diesem Zeitraum.',
    nameOrContact: 'Name, Telefon oder E-Mail',
    settings: 'Einstellungen',
    save: 'Speichern',
    admins: 'Admins',
    promote: 'Zum Community-Admin machen',
    demote: 'Zum Gruppen-Admin machen',
    newCommunity: 'Neue Community',
    photo: 'Foto-URL',
    purpose: 'Zweck',
    questions: 'Beitrittsfragen (eine pro Zeile, geschlossene Communities)',
    webhooks: 'Webhooks',
    endpoint: 'Endpunkt-URL',
    events: 'Ereignisse',
    secretOnce: 'Signatur-Secret (nur jetzt sichtbar):',
    nextPage: 'Nächste Seite',
    contact: 'Kontakt',
  },
} as const

export type Words = Record<keyof (typeof WORDS)['en'], string>
export function words(lang: Lang): Words {
  return WORDS[lang]
}

const CSS = `*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f3f5f4}
header{background:#0b3d22;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#fff}header .grow{flex:1}.pill{background:#ffbf47;color:#1a1a1a;border-radius:999px;padding:0 .5rem;font-weight:700}
main{max-width:64rem;margin:0 auto;padding:1rem}section{background:#fff;border-radius:.75rem;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .75rem}nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin-bottom:1rem}
nav.tabs a{padding:.35rem .7rem;border-radius:.5rem;background:#e4ebe7;color:#0b3d22;text-decoration:none}nav.tabs a[aria-current]{background:#0b6e35;color:#fff}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #e4e8e6;vertical-align:top}th{font-size:.85rem;color:#4a5450}
td.n,th.n{text-align:right}form.inline{display:inline}label{display:block;font-weight:600;margin:.5rem 0 .2rem}
input,select,textarea{font:inherit;padding:.4rem;border:1px solid #8a9690;border-radius:.4rem;max-width:100%}textarea{width:100%}
button,.button{font:inherit;background:#0b6e35;color:#fff;border:0;border-radius:.4rem;padding:.4rem .8rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#4a5450}button.danger{background:#a61b1b}.muted{color:#4a5450;font-size:.9rem}.grid{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr))}
.stat{background:#f3f5f4;border-radius:.5rem;padding:.6rem}.stat b{display:block;font-size:1.4rem}.code{font-family:ui-monospace,monospace;word-break:break-all}
.err{background:#fde7e7;color:#8a1010;padding:.5rem;border-radius:.4rem}.ok{background:#e6f4ea;color:#0b5c2b;padding:.5rem;border-radius:.4rem}
.wide{width:100%}.spaced{margin-top:1rem}.chart{width:100%;height:auto}.narrow{max-width:28rem;margin:2rem auto}label.plain{font-weight:400}
@media (max-width:40rem){table{font-size:.85rem}th:nth-child(n+5),td:nth-child(n+5){display:none}}`

// Copy buttons and confirm dialogs; everything works without them.
const SCRIPT = `document.addEventListener('click',function(e){var b=e.target.closest('[data-copy]');if(b){navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function(){b.textContent=b.getAttribute('data-done')})}});
document.addEventListener('submit',function(e){var m=e.target.getAttribute('data-confirm');if(m&&!confirm(m))e.preventDefault()});`

export interface ShellProps {
  lang: Lang
  /** The response's CSP nonce (`cspNonce(c)`) for the inline style and script. */
  nonce: string
  title: string
  who?: string
  pendingCount?: number
  /** Where the pending count leads: the approvals of the community on screen. */
  approvalsHref?: string
  csrf?: string
  notice?: string
  children: Child
}

export function Shell(props: ShellProps) {
  const t = words(props.lang)
  return (
    <>
      {DOCTYPE}
      <html lang={props.lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <meta name="robots" content="noindex" />
          <title>{`${props.title} · ${t.dashboard}`}</title>
          <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
        </head>
        <body>
          <header>
            <a href="/admin">
              <b>{t.dashboard}</b>
            </a>
            <span class="grow" />
            {props.pendingCount !== undefined && (
              <a href={props.approvalsHref ?? '/admin'}>
                {t.approvals} <span class="pill">{props.pendingCount}</span>
              </a>
            )}
            {props.who && (
              <span>
                <bdi>{props.who}</bdi>
              </span>
            )}
            <a href={`?lang=${props.lang === 'de' ? 'en' : 'de'}`}>
              {props.lang === 'de' ? 'English' : 'Deutsch'}
            </a>
            {props.csrf && (
              <>
                <form method="post" action="/admin/logout" class="inline">
                  <input type="hidden" name="_csrf" value={props.csrf} />
                  <button class="secondary" type="submit">
                    {t.signOut}
                  </button>
                </form>
                <form method="post" action="/admin/logout-everywhere" class="inline">
                  <input type="hidden" name="_csrf" value={props.csrf} />
                  <button class="secondary" type="submit">
                    {t.signOutEverywhere}
                  </button>
                </form>
              </>
            )}
          </header>
          <main>
            {props.notice && (
              <p class="ok" role="status">
                {props.notice}
              </p>
            )}
            {props.children}
          </main>
          <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: SCRIPT }} />
        </body>
      </html>
    </>
  )
}

/** A hidden form token, for every form of a session. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />
}

export interface DayFigures {
  day: string
  visits: number
  scans: number
  clicks: number
  joins: number
}

/** The funnel by day as an inline SVG bar chart (drawn on the server, no script, no CDN). */
export function FunnelChart(props: { days: DayFigures[]; lang: Lang }) {
  const t = words(props.lang)
  if (props.days.length === 0) return <p class="muted">{t.noData}</p>
  const width = 640
  const height = 180
  const max = Math.max(1, ...props.days.map((d) => d.visits))
  const band = width / props.days.length
  const bar = Math.max(2, band * 0.7)
  return (
    <svg
      viewBox={`0 0 ${width} ${height + 20}`}
      role="img"
      aria-label={`${t.visits}, ${t.scans}, ${t.joins}: ${t.byDay}`}
      class="chart"
    >
      {props.days.map((d, i) => {
        const x = i * band + (band - bar) / 2
        const h = (d.visits / max) * height
        const hs = (d.scans / max) * height
        const hj = (d.joins / max) * height
        return (
          <g>
            <title>{`${d.day}: ${d.visits} ${t.visits}, ${d.scans} ${t.scans}, ${d.clicks} ${t.clicks}, ${d.joins} ${t.joins}`}</title>
            <rect x={x} y={height - h} width={bar} height={h} fill="#9cc9ad" />
            <rect x={x} y={height - hs} width={bar / 2} height={hs} fill="#0b6e35" />
            <rect x={x + bar / 2} y={height - hj} width={bar / 2} height={hj} fill="#ffbf47" />
          </g>
        )
      })}
      <text x="0" y={height + 16} font-size="12">
        {props.days[0]!.day}
      </text>
      <text x={width} y={height + 16} font-size="12" text-anchor="end">
        {props.days.at(-1)!.day}
      </text>
    </svg>
  )
}

export function percent(value: number): string {
  return `${Math.round(value * 1000) / 10}%`
}

/** The funnel's totals, one tile each: visits, scans, clicks, requests, joins, conversion. */
export function FunnelFigures(props: { lang: Lang; totals: FunnelTotals }) {
  const t = words(props.lang)
  const { totals } = props
  const tiles = [
    [t.visits, totals.visits],
    [t.scans, totals.scans],
    [t.clicks, totals.clicks],
    [t.requests, totals.joinRequests],
    [t.joins, totals.joins],
    [t.conversion, percent(totals.conversionRate)],
  ] as const
  return (
    <div class="grid">
      {tiles.map(([label, value]) => (
        <div class="stat">
          <span class="muted">{label}</span>
          <b>{value}</b>
        </div>
      ))}
    </div>
  )
}

export interface FunnelTotals {
  visits: number
  scans: number
  clicks: number
  joinRequests: number
  joins: number
  conversionRate: number
}

/** A community's groups with their member counts against their limits. */
export function GroupsTable(props: {
  lang: Lang
  groups: Array<{ name: string; kind: string; memberCount: number; memberLimit: number }>
}) {
  const t = words(props.lang)
  return (
    <table>
      <tbody>
        {props.groups.map((group) => (
          <tr>
            <td>
              <bdi>{group.name}</bdi>
            </td>
            <td>{group.kind}</td>
            <td class="n">
              {group.memberCount} / {group.memberLimit} <span class="muted">{t.limit}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** `<option>`s for a community's discussion groups, after a first option of the caller's. */
export function DiscussionGroupOptions(props: {
  groups: Array<{ id: string; name: string; kind: string }>
}) {
  return (
    <>
      {props.groups
        .filter((group) => group.kind === 'discussion')
        .map((group) => (
          <option value={group.id}>{group.name}</option>
        ))}
    </>
  )
}
