import { DOCTYPE } from './doctype'
import type { Child } from 'hono/jsx'
import { MESSAGES, otherLanguage, type Lang } from '../lib/i18n'

/**
 * The shell of every page people see: mobile first, no external scripts, fonts or stylesheets
 * (one inline style block), so a page is usable on a slow phone before any photo arrives.
 */
const CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f3f5f4}
main{max-width:32rem;margin:0 auto;padding:1.25rem 1rem 2.5rem}
.card{background:#fff;border-radius:1rem;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.photo{display:block;width:100%;max-height:14rem;object-fit:cover;border-radius:.75rem;margin-bottom:1rem;background:#dfe6e2}
h1{font-size:1.6rem;line-height:1.2;margin:0 0 .5rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
p{margin:.25rem 0 .75rem}.muted{color:#4a5450;font-size:.95rem}
.badge{display:inline-block;background:#e6f4ea;color:#0b5c2b;border-radius:999px;padding:.15rem .7rem;font-size:.9rem;font-weight:600;margin-right:.4rem}
ul{list-style:none;padding:0;margin:0}li{padding:.6rem 0;border-top:1px solid #e4e8e6}li:first-child{border-top:0}
.g{font-weight:600}.here{background:#fff8e1;border-radius:.5rem;padding:.6rem .5rem}.perk{background:#e8f1fb;color:#0b2f55;border-radius:.5rem;padding:.6rem .5rem}.full{background:#fdecea;color:#6b1a1a;border-radius:.5rem;padding:.6rem .5rem;font-weight:600}.offer{white-space:pre-line;overflow-wrap:anywhere;background:#fff8e1;border-radius:.5rem;padding:.6rem .75rem;text-align:left}
.cta{display:block;text-align:center;background:#0b6e35;color:#fff;font-size:1.15rem;font-weight:700;text-decoration:none;border-radius:.75rem;padding:.9rem;margin:1.25rem 0 .75rem}
.cta:focus,.cta:hover{background:#084f26;outline:3px solid #ffbf47}
.share{display:flex;flex-wrap:wrap;gap:.5rem}.share a,.share button{flex:1 1 10rem;text-align:center;border:2px solid #0b6e35;color:#0b6e35;font-weight:600;text-decoration:none;border-radius:.75rem;padding:.6rem;background:none;margin:0}.share button[hidden]{display:none}
.err{text-align:center}.err h1{margin-top:.5rem}
label{display:block;font-weight:600;margin:.9rem 0 .25rem}input[type=text],input[type=tel],input[type=email],textarea{width:100%;font:inherit;padding:.6rem;border:1px solid #8a9690;border-radius:.5rem}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400}.check input{flex:none;margin:.05rem 0 0;width:1.5rem;height:1.5rem}
button{font:inherit;cursor:pointer;border:0}button.cta{width:100%}.hp{position:absolute;left:-9999px}
.qr{display:block;margin:.75rem auto;width:12rem;height:12rem}@media (pointer:coarse) and (hover:none) and (max-width:40rem){.on-computer{display:none}}.code{word-break:break-all;background:#f3f5f4;padding:.5rem;border-radius:.5rem}
.alert{background:#fde7e7;color:#8a1010}p.err{text-align:left;background:#fde7e7;color:#8a1010;padding:.4rem .6rem;border-radius:.5rem;font-size:.95rem;margin:.25rem 0 0}[aria-invalid=true]{border-color:#a61b1b}.danger{background:#a61b1b}.danger:hover,.danger:focus{background:#7d1414}.small{font-size:.9rem}
p>a:only-child{display:inline-block;padding:.35rem 0}
.lang{text-align:right;font-size:.9rem;margin:-.5rem 0 .5rem}.lang a,.lang button{color:#0b5c2b;padding:.5rem 0;display:inline-block}.lang button{background:none;border:0;font:inherit;text-decoration:underline;cursor:pointer;width:auto;margin:0}main.switch-after{display:flex;flex-direction:column}main.switch-after>.lang{order:-1}`

/**
 * A sentence of the catalogue with someone's text in it (`t.joinTitle(name)`), that text
 * isolated in `<bdi>`: whatever its direction, it cannot reorder the words around it.
 */
export function WithUserText(props: { sentence: (value: string) => string; value: string }) {
  const slot = '\u0000'
  const [before = '', after = ''] = props.sentence(slot).split(slot)
  return (
    <>
      {before}
      <bdi>{props.value}</bdi>
      {after}
    </>
  )
}

export interface PageProps {
  lang: Lang
  /** The response's CSP nonce (`cspNonce(c)`): without it the inline styles do not apply. */
  nonce: string
  /** The same page in the other language (`languageSwitchOf`); none, no switch. */
  switchHref?: string
  /**
   * Instead, the id of the page's form that, sent with `switchLanguage`, comes back as typed in
   * the other language (a form's answer, which has no address of its own to open again).
   */
  switchForm?: string
}

/**
 * The one document shell of every HTML page, the public pages' and the dashboard's: the same
 * head (charset, viewport, icon, noindex), the page's own stylesheet under the response's nonce.
 */
export function HtmlDocument(
  props: PageProps & { title: string; css: string; head?: Child; children: Child },
) {
  return (
    <>
      {DOCTYPE}
      <html lang={props.lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <meta name="robots" content="noindex" />
          <title>{props.title}</title>
          {props.head}
          <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: props.css }} />
        </head>
        <body>{props.children}</body>
      </html>
    </>
  )
}

/** The page in the other language, named in that language: a link, or its form sent again. */
function LanguageSwitch(props: { lang: Lang; href?: string; form?: string }) {
  const other = otherLanguage(props.lang)
  const name = MESSAGES[props.lang].otherLanguageName
  return (
    <nav class="lang" aria-label={MESSAGES[props.lang].languageNav}>
      {props.href !== undefined ? (
        <a href={props.href} hreflang={other} lang={other}>
          {name}
        </a>
      ) : (
        <button
          type="submit"
          form={props.form}
          name="switchLanguage"
          value={other}
          formnovalidate
          lang={other}
        >
          {name}
        </button>
      )}
    </nav>
  )
}

export function Layout(props: PageProps & { title: string; head?: Child; children: Child }) {
  return (
    <HtmlDocument
      lang={props.lang}
      nonce={props.nonce}
      title={props.title}
      css={CSS}
      head={props.head}
    >
      {/* A switch that sends the page's form comes after it, shown first (`order`): the first
          submit button of a form is the one Enter presses, which must stay the form's own. */}
      <main class={props.switchForm !== undefined ? 'switch-after' : undefined}>
        {props.switchHref !== undefined && (
          <LanguageSwitch lang={props.lang} href={props.switchHref} />
        )}
        {props.children}
        {props.switchForm !== undefined && (
          <LanguageSwitch lang={props.lang} form={props.switchForm} />
        )}
      </main>
    </HtmlDocument>
  )
}
