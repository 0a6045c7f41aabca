import { HtmlDocument } from '../layout'
import { onWhatsApp, WhatsAppInferredNote } from '../whatsapp-inferred'
import type { Child } from 'hono/jsx'
import {
  DASHBOARD_WORDS,
  formatNumber,
  LOCALES,
  otherLanguage,
  type Lang,
  type Words,
} from '../../lib/i18n'

/**
 * The admin and marketer dashboard's pages: server-rendered, plain forms (works without
 * JavaScript), one inline stylesheet and a few lines of progressive enhancement (copy buttons,
 * confirm dialogs). German and English.
 */
export type { Words }
/** The dashboard's words in a language (they live in `lib/i18n.ts` with the public pages'). */
export function words(lang: Lang): Words {
  return DASHBOARD_WORDS[lang]
}

// On a phone a `cards` table shows each row as a card. A labelled cell is a one-row table of its
// own, the label (`data-label`, as `::before`) one cell and the content another, so a label that
// wraps makes its row taller; positioned beside the content, it ran into the next row instead.
// A box that scrolls sideways shows a shadow at the edge where more is.
const CSS = `*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f3f5f4}
header{background:#0b3d22;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#fff;display:inline-block;padding:.15rem 0}main p>a:only-child,main a[download]{display:inline-block;padding:.3rem 0}header .grow{flex:1}.pill{background:#ffbf47;color:#1a1a1a;border-radius:999px;padding:0 .5rem;font-weight:700}
main{max-width:64rem;margin:0 auto;padding:1rem}section{background:#fff;border-radius:.75rem;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .75rem}nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin-bottom:1rem}
nav.tabs a{padding:.35rem .7rem;border-radius:.5rem;background:#e4ebe7;color:#0b3d22;text-decoration:none}nav.tabs a[aria-current]{background:#0b6e35;color:#fff}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #e4e8e6;vertical-align:top}th{font-size:.85rem;color:#4a5450}
td.n,th.n{text-align:right}form.inline{display:inline}label{display:block;font-weight:600;margin:.5rem 0 .2rem}
input,select,textarea{font:inherit;padding:.4rem;border:1px solid #8a9690;border-radius:.4rem;max-width:100%}textarea{width:100%}
button,.button{font:inherit;background:#0b6e35;color:#fff;border:0;border-radius:.4rem;padding:.4rem .8rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#4a5450}button.danger{background:#a61b1b}.muted{color:#4a5450;font-size:.9rem}.grid{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr))}.grid>*{min-width:0}.grid label{hyphens:auto;overflow-wrap:break-word}
.stat{background:#f3f5f4;border-radius:.5rem;padding:.6rem;color:inherit;text-decoration:none}a.stat:hover{background:#e4ebe7}.stat b{display:block;font-size:1.4rem}.code{font-family:ui-monospace,monospace;word-break:break-all}.code.whole{word-break:normal;white-space:nowrap}.grid>.wide{grid-column:1/-1}.grid>.wide input[type=file]{width:100%}@media (min-width:40.01rem){td select{max-width:22rem}}
.err{background:#fde7e7;color:#8a1010;padding:.5rem;border-radius:.4rem}[aria-invalid=true]{border-color:#a61b1b}.ok{background:#e6f4ea;color:#0b5c2b;padding:.5rem;border-radius:.4rem}.warn{background:#fff4d6;color:#5c3d00;padding:.5rem;border-radius:.4rem}.get-started{border:1px solid #c5cec9;border-radius:.5rem;padding:0 1rem;margin:1rem 0}.get-started ul{list-style:none;padding:0}.get-started li{margin:.35rem 0}.get-started li.done{color:#55605a}
.wide{width:100%}.spaced{margin-top:1rem}.chart{width:100%;height:auto}.narrow{max-width:28rem;margin:2rem auto}label.plain{font-weight:400}
fieldset.repeat{border:1px solid #c5cec9;border-radius:.5rem;margin:1rem 0 0;padding:.5rem .75rem}.choices{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;margin:.25rem 0}.choices label{margin:0}
.row-actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.4rem}.row-links{font-weight:400;font-size:.9rem}.row-links a{display:inline-block;padding:.3rem 0}#next-runs{padding:.25rem .5rem;border-radius:.4rem}#next-runs:focus{outline:2px solid #0b6e35;outline-offset:2px}
input,select,textarea,fieldset{scroll-margin-top:3rem}p.buttons{display:flex;flex-wrap:wrap;gap:.5rem}
summary{cursor:pointer;margin-top:.5rem}[hidden]{display:none!important}
footer{max-width:64rem;margin:0 auto;padding:0 1rem 2rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;color:#4a5450;font-size:.9rem}footer .tools{display:inline-flex;gap:1rem;white-space:nowrap}
.skip{position:absolute;left:-9999px}.skip:focus{position:static;display:inline-block;margin-bottom:.5rem}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.chart-box{margin:0}.chart.narrow{display:none}.chart g.day:focus{outline:none}.chart g.day:focus rect:first-child,.chart g.day:hover rect:first-child{fill:rgba(11,110,53,.12)}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem;color:#4a5450}.spark{display:block}
.picker{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-bottom:1rem}.picker p{margin:0;flex-basis:100%}
.periods{display:flex;flex-wrap:wrap;gap:.25rem}.periods a,.sort-by a{padding:.35rem .7rem;border-radius:.5rem;background:#e4ebe7;color:#0b3d22;text-decoration:none}.periods a[aria-current],.sort-by a[aria-current]{background:#0b6e35;color:#fff}
.sort-by{display:none}.stat a,h2>a{display:inline-block;padding:.25rem 0}.chips a{padding-block:.25rem}
.grid.fields{grid-template-columns:repeat(auto-fit,minmax(17rem,1fr))}.grid.fields input,.grid.fields select{width:100%}
.custom-range{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}.custom-range label{margin-top:0}
.funnel ol{list-style:none;margin:0;padding:0;display:grid;gap:.6rem}.funnel .step{display:flex;justify-content:space-between;gap:1rem}.funnel .step b{font-size:1.2rem}
.funnel p{margin:.1rem 0 0}.share{display:block;width:100%;height:.7rem}.grid.two{grid-template-columns:repeat(auto-fit,minmax(14rem,1fr))}.grid.wider{grid-template-columns:repeat(auto-fit,minmax(11rem,1fr))}.grid.breakdowns{grid-template-columns:repeat(auto-fit,minmax(min(100%,36rem),1fr))}
header form.inline button{padding:.3rem .6rem}
.table-scroll{overflow-x:auto;background:linear-gradient(90deg,#fff 30%,rgba(255,255,255,0)) 0 0/2rem 100% no-repeat local,linear-gradient(270deg,#fff 30%,rgba(255,255,255,0)) 100% 0/2rem 100% no-repeat local,radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.3),rgba(0,0,0,0)) 0 0/.9rem 100% no-repeat scroll,radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.3),rgba(0,0,0,0)) 100% 0/.9rem 100% no-repeat scroll}
.deliveries code{overflow-wrap:anywhere}.grid.two>div,.grid.breakdowns>div{min-width:0}.chips{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-bottom:.75rem}.chip{padding:.25rem .6rem;border-radius:999px;background:#e4ebe7;color:#0b3d22;text-decoration:none}.chip:hover{background:#c5d6cc}
.compare-pick fieldset{border:1px solid #c5cec9;border-radius:.5rem;margin:0 0 .75rem;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem}.compare-pick .check{margin:0}
.bulk{display:flex;flex-wrap:wrap;gap:.4rem .75rem;align-items:center;background:#fff;border-top:1px solid #c5cec9;padding:.6rem 0;margin-top:.5rem}.bulk label{margin:0}.bulk input{flex:1 1 12rem}form:has(input[name=ids]:checked) .bulk{position:sticky;bottom:0;z-index:1}
td [data-copy]{margin-left:.5rem}@media (max-width:40rem){form .grid{grid-template-columns:minmax(0,1fr)}.grid.breakdowns td a,footer .tools a,table.cards td a{display:inline-block;padding:.3rem 0}input[type=checkbox],input[type=radio]{width:1.5rem;height:1.5rem;flex:none;vertical-align:middle;margin:.1rem .25rem .1rem 0}.chart.wide{display:none}.chart.narrow{display:block}table{font-size:.85rem}main{padding:.5rem}section{padding:.75rem}
header{flex-wrap:nowrap;gap:.35rem;padding:.5rem;font-size:.85rem;white-space:nowrap}header form.inline button{padding:.3rem .5rem}header .pill{padding:0 .35rem}header>a:first-child{min-width:0;overflow:hidden;text-overflow:ellipsis}
.sort-by{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:0 0 .5rem}
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}
table.cards tr{display:block;border-bottom:1px solid #c5cec9;padding:.4rem 0}table.cards td,table.cards tbody th{display:block;border:0;padding:.25rem .1rem;text-align:left}
table.cards td[data-label]:not([data-label=""]){display:table;width:100%;table-layout:fixed;border-collapse:separate}
table.cards td[data-label]:not([data-label=""])::before{content:attr(data-label);display:table-cell;width:42%;vertical-align:top;padding-right:.5rem;font-weight:600;color:#4a5450;overflow-wrap:break-word}
table.cards td{overflow-wrap:anywhere}table.cards td.actions{display:flex;justify-content:flex-end;flex-wrap:wrap;gap:.5rem}table.cards td:first-child{font-weight:600}table.cards td:first-child .muted{font-weight:400}}`

// Copy buttons (they say done for two seconds, then offer to copy again), a form's "select all" box and confirm dialogs (a form's, or the button's that sent it), and the page's own address for a page answering a form's POST;
// the QR designer's live preview (its contrast hint turns red, and the preview fades, while the
// colours cannot be scanned) and a file too big refused on its field before it is sent;
// everything works without them. A copy button is hidden until this script shows it, where the
// browser lets it copy: without it, it would do nothing.
const SCRIPT = `var main=document.querySelector('main[data-address]');if(main)history.replaceState(null,'',main.getAttribute('data-address'));
if(navigator.clipboard)document.querySelectorAll('[data-copy]').forEach(function(b){b.hidden=false});
document.querySelectorAll('[data-select-all]').forEach(function(l){l.hidden=false;var a=l.querySelector('input');a.addEventListener('change',function(){a.form.querySelectorAll('input[name=ids]').forEach(function(b){b.checked=a.checked})})});
document.addEventListener('click',function(e){var b=e.target.closest('[data-copy]');if(b){navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function(){b.label=b.label||b.textContent;b.textContent=b.getAttribute('data-done');clearTimeout(b.reset);b.reset=setTimeout(function(){b.textContent=b.label},2000)},function(){})}});
document.addEventListener('submit',function(e){var s=e.submitter,m=(s&&s.getAttribute('data-confirm'))||e.target.getAttribute('data-confirm');if(m&&!confirm(m))e.preventDefault()});
document.addEventListener('input',function(e){var f=e.target.form;if(!f||!f.hasAttribute('data-qr-preview'))return;var i=document.getElementById(f.getAttribute('data-qr-preview'));if(!i)return;var q=new URLSearchParams({size:'240'});['v','fg','bg','margin','level','style'].forEach(function(n){var v=f.elements[n]&&f.elements[n].value;if(v)q.set(n,v.replace('#',''))});var a=lum(q.get('fg')),b=lum(q.get('bg')),ok=a<b&&(b+.05)/(a+.05)>=4.5,h=document.getElementById('qr-contrast-hint');if(h)h.className=ok?'muted':'err';i.style.opacity=ok?'':'.35';if(ok)i.src=i.getAttribute('data-base')+'?'+q});
document.addEventListener('change',function(e){var t=e.target,m=t.getAttribute&&t.getAttribute('data-max-bytes');if(!m||!t.files)return;var big=t.files[0]&&t.files[0].size>Number(m);t.setCustomValidity(big?t.getAttribute('data-too-big'):'');if(big)t.reportValidity()});
function lum(h){if(!/^[0-9a-f]{6}$/i.test(h||''))return NaN;var c=[0,2,4].map(function(k){var v=parseInt(h.substr(k,2),16)/255;return v<=.03928?v/12.92:Math.pow((v+.055)/1.055,2.4)});return .2126*c[0]+.7152*c[1]+.0722*c[2]}`

export interface ShellProps {
  lang: Lang
  /** The response's CSP nonce (`cspNonce(c)`) for the inline style and script. */
  nonce: string
  title: string
  who?: string
  /** Every pending request this admin decides on, across communities: the same on every page. */
  pendingCount?: number
  /**
   * Where the pending count leads: the approvals of the one community with pending requests, or
   * the list across communities.
   */
  approvalsHref?: string
  csrf?: string
  /** What the last action did: text, with people's words (a group's name) isolated in it. */
  notice?: Child
  /** This page in the other language, keeping its query (the period, the sort). */
  langHref?: string
  /**
   * The page's own address where it answers a form's POST: the script shows it in the address
   * bar in place of the form's, so a reload opens the page instead of sending the form again.
   */
  address?: string
  /** The installation's own pages this admin may open, linked at the foot of every page. */
  tools?: { webhooks: boolean; telegram: boolean }
  children: Child
}

export function Shell(props: ShellProps) {
  const t = words(props.lang)
  return (
    <HtmlDocument
      lang={props.lang}
      nonce={props.nonce}
      title={`${props.title} · ${t.dashboard}`}
      css={CSS}
    >
      <header>
        <a href="/admin">
          <b>{t.dashboard}</b>
        </a>
        <span class="grow" />
        {props.pendingCount !== undefined && (
          <a href={props.approvalsHref ?? '/admin/approvals'} title={t.pendingEverywhere}>
            {t.approvals} <span class="pill">{props.pendingCount}</span>
          </a>
        )}
        <a
          href={props.langHref ?? `?lang=${otherLanguage(props.lang)}`}
          lang={otherLanguage(props.lang)}
          hreflang={otherLanguage(props.lang)}
        >
          {props.lang === 'de' ? 'English' : 'Deutsch'}
        </a>
        {props.csrf && (
          <form method="post" action="/admin/logout" class="inline">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <button class="secondary" type="submit">
              {t.signOut}
            </button>
          </form>
        )}
      </header>
      <main data-address={props.address}>
        {props.notice && (
          <p class="ok" role="status">
            {props.notice}
          </p>
        )}
        {props.children}
      </main>
      {(props.who || props.csrf) && (
        <footer>
          {props.who && (
            <span>
              {t.signedInAs} <bdi>{props.who}</bdi>
            </span>
          )}
          {(props.tools?.webhooks || props.tools?.telegram) && (
            // Together, so a narrow foot wraps before them, not between them.
            <span class="tools">
              {props.tools.webhooks && <a href="/admin/webhooks">{t.webhooks}</a>}
              {props.tools.telegram && <a href="/admin/telegram">Telegram</a>}
            </span>
          )}
          {props.csrf && (
            <form method="post" action="/admin/logout-everywhere" class="inline">
              <input type="hidden" name="_csrf" value={props.csrf} />
              <button class="secondary" type="submit">
                {t.signOutEverywhere}
              </button>
            </form>
          )}
        </footer>
      )}
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: SCRIPT }} />
    </HtmlDocument>
  )
}

/**
 * A group's name as the dashboard shows it: the announcement group, which every community gets
 * under a fixed name, in the reader's language.
 */
export function groupLabel(t: Words, group: { name: string; kind: string }): string {
  return group.kind === 'announcement' ? t.groupKinds.announcement : group.name
}

/** A hidden form token, for every form of a session. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />
}

export function percent(value: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALES[lang], {
    style: 'percent',
    maximumFractionDigits: 1,
  }).format(value)
}

/**
 * A community's groups with their member counts against their limits; below them, for groups
 * on WhatsApp, that those counts are who signed up through us, not who is in the chat.
 */
export function GroupsTable(props: {
  lang: Lang
  groups: Array<{
    name: string
    kind: string
    memberCount: number
    memberLimit: number
    telegramChatId: number | null
  }>
}) {
  const t = words(props.lang)
  return (
    <>
      <table class="cards">
        <tbody>
          {props.groups.map((group) => (
            <tr>
              <td data-label={t.group}>
                <bdi>{groupLabel(t, group)}</bdi>
              </td>
              <td data-label={t.kind}>
                {t.groupKinds[group.kind as keyof Words['groupKinds']] ?? group.kind}
              </td>
              <td class="n" data-label={t.members}>
                {formatNumber(props.lang, group.memberCount)} /{' '}
                {formatNumber(props.lang, group.memberLimit)} <span class="muted">{t.limit}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {onWhatsApp(props.groups) && <WhatsAppInferredNote lang={props.lang} />}
    </>
  )
}

/** `<option>`s for a community's discussion groups, after a first option of the caller's. */
export function DiscussionGroupOptions(props: {
  groups: Array<{ id: string; name: string; kind: string }>
  selected?: string
}) {
  return (
    <>
      {props.groups
        .filter((group) => group.kind === 'discussion')
        .map((group) => (
          <option value={group.id} selected={group.id === props.selected}>
            {group.name}
          </option>
        ))}
    </>
  )
}
