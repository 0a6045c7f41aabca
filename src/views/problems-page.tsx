import { ERROR_CODES, problemEntry, type ErrorCode } from '../lib/errors'

/**
 * The pages a problem's `type` links to: `/api/problems` lists every code of the error catalogue
 * with its status and meaning, `/api/problems/{code}` explains one. Plain HTML under the same
 * strict CSP as every page, with no script.
 */
const CSS = `*{box-sizing:border-box}main p>a:only-child{display:inline-block;padding:.3rem 0}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f3f5f4}
main{max-width:48rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem}section{background:#fff;border-radius:.75rem;padding:1rem;margin:.75rem 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:1.05rem;margin:0 0 .25rem}code{font-family:ui-monospace,monospace;font-size:.9em;background:#eef2f0;border-radius:.25rem;padding:0 .2rem}
.muted{color:#4a5450}a{color:#0b5c2b}`

/** Text with `backticks` shown as code, as the catalogue writes it. */
function Prose(props: { text: string }) {
  return <>{props.text.split('`').map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>
}

function ProblemEntry(props: { code: ErrorCode }) {
  const entry = problemEntry(props.code)
  return (
    <section id={props.code}>
      <h2>
        <code>{props.code}</code> {entry.title}
      </h2>
      <p class="muted">HTTP {entry.status}</p>
      <p>
        <Prose text={entry.description} />
      </p>
    </section>
  )
}

/** Every code of the catalogue, or only `code` when one is asked for. */
export function ProblemsPage(props: { code?: ErrorCode; nonce: string }) {
  const title = props.code ? `Problem: ${props.code}` : 'Problems the API answers with'
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{title}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <main>
          <h1>{title}</h1>
          <p>
            Errors are RFC 9457 problem details (<code>application/problem+json</code>): clients
            switch on <code>code</code>; <code>type</code> links to the code’s page here, and{' '}
            <code>detail</code> says what happened in this case. Which codes an operation answers
            with is listed with each of its responses in the <a href="/api/docs">API reference</a>.
          </p>
          {props.code ? (
            <>
              <ProblemEntry code={props.code} />
              <p>
                <a href="/api/problems">Every problem</a>
              </p>
            </>
          ) : (
            ERROR_CODES.map((code) => <ProblemEntry code={code} />)
          )}
        </main>
      </body>
    </html>
  )
}
