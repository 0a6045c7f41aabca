/**
 * The API reference at `/api/docs`, rendered on the server from the OpenAPI document: no
 * script, no third-party asset, so it works offline and runs on the dashboard's origin under
 * the same strict CSP as every other page (where owners paste tokens, no outside script may
 * run). The machine-readable document stays at `/api/openapi.json` for clients and tools.
 */

/** The parts of an OpenAPI 3.1 document this page reads. */
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string }
  paths?: Record<string, Record<string, Operation | undefined> | undefined>
  components?: { schemas?: Record<string, Schema> }
}

interface Operation {
  tags?: string[]
  summary?: string
  description?: string
  security?: unknown[]
  parameters?: Array<{
    name: string
    in: string
    required?: boolean
    description?: string
    schema?: Schema
  }>
  requestBody?: { content?: Record<string, { schema?: Schema }> }
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: Schema }> }
  >
}

interface Schema {
  $ref?: string
  type?: string | string[]
  format?: string
  description?: string
  enum?: unknown[]
  const?: unknown
  items?: Schema
  properties?: Record<string, Schema>
  required?: string[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  default?: unknown
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  maxItems?: number
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

const CSS = `*{box-sizing:border-box}main p>a:only-child{display:inline-block;padding:.3rem 0}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f3f5f4}
main{max-width:64rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}h3{font-size:1rem;margin:0 0 .25rem}
section.op{background:#fff;border-radius:.75rem;padding:1rem;margin:.75rem 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
code{font-family:ui-monospace,monospace;font-size:.9em;background:#eef2f0;border-radius:.25rem;padding:0 .2rem}
.m{display:inline-block;min-width:4.2rem;text-align:center;font-weight:700;color:#fff;background:#0b6e35;border-radius:.3rem;padding:0 .3rem;margin-right:.4rem}
.m.post{background:#1f5fa8}.m.patch{background:#8a5a00}.m.delete{background:#a61b1b}
.muted{color:#4a5450}dl{margin:.25rem 0 .5rem}dt{margin-top:.35rem}dd{margin:0 0 0 1.25rem}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem;border-bottom:1px solid #e4e8e6;vertical-align:top}nav ul{columns:2 18rem;padding-left:1rem}
a{color:#0b5c2b}nav a{display:inline-block;padding:.2rem 0}code,td,dt,dd{overflow-wrap:anywhere}table.responses td:first-child{white-space:nowrap}
@media (max-width:40rem){main{padding:.5rem}section.op{padding:.75rem}dd{margin-left:.75rem}
table.params thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}
table.params tr{display:block;border-bottom:1px solid #e4e8e6;padding:.3rem 0}table.params td{display:block;border:0;padding:.1rem 0}
table.params td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}`

/** Text with `backticks` shown as code, as the API's descriptions write it. */
function Prose(props: { text?: string }) {
  if (!props.text) return null
  return <>{props.text.split('`').map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>
}

function refName(ref: string): string {
  return ref.split('/').pop() ?? ref
}

/** A short type: `string`, `array of Invite`, `"open" | "closed"`, `integer (1–50)`. */
function TypeOf(props: { schema?: Schema }) {
  const s = props.schema
  if (!s) return <span class="muted">any</span>
  if (s.$ref) return <a href={`#schema-${refName(s.$ref)}`}>{refName(s.$ref)}</a>
  const alternatives = s.anyOf ?? s.oneOf ?? s.allOf
  if (alternatives) {
    return (
      <>
        {alternatives.map((alternative, i) => (
          <>
            {i > 0 && (s.allOf ? ' and ' : ' or ')}
            <TypeOf schema={alternative} />
          </>
        ))}
      </>
    )
  }
  if (s.enum) return <>{s.enum.map((value) => JSON.stringify(value)).join(' | ')}</>
  if (s.const !== undefined) return <>{JSON.stringify(s.const)}</>
  const types = [s.type ?? 'object'].flat()
  const range =
    s.minimum !== undefined || s.maximum !== undefined
      ? ` (${s.minimum ?? ''}–${s.maximum ?? ''})`
      : s.maxLength !== undefined
        ? ` (at most ${s.maxLength} characters)`
        : s.maxItems !== undefined
          ? ` (at most ${s.maxItems})`
          : ''
  return (
    <>
      {types.map((type, i) => (
        <>
          {i > 0 && ' or '}
          {type === 'array' ? (
            <>
              array of <TypeOf schema={s.items} />
            </>
          ) : (
            type
          )}
        </>
      ))}
      {s.format && <span class="muted"> ({s.format})</span>}
      {range && <span class="muted">{range}</span>}
    </>
  )
}

/** An object's fields, one level deep; nested named schemas are links to their own entry. */
function Fields(props: { schema?: Schema; depth?: number }) {
  const s = props.schema
  const depth = props.depth ?? 0
  if (!s?.properties || depth > 3) return null
  const required = new Set(s.required ?? [])
  return (
    <dl>
      {Object.entries(s.properties).map(([name, field]) => (
        <>
          <dt>
            <code>{name}</code> <TypeOf schema={field} />
            {required.has(name) ? <b> required</b> : ''}
          </dt>
          <dd>
            <Prose text={field.description} />
            {field.default !== undefined && (
              <span class="muted"> Default: {JSON.stringify(field.default)}.</span>
            )}
            <Fields schema={field.items ?? field} depth={depth + 1} />
          </dd>
        </>
      ))}
    </dl>
  )
}

function anchor(method: string, path: string): string {
  return `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`
}

export function ApiDocsPage(props: { doc: OpenApiDocument; nonce: string }) {
  const { doc } = props
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item?.[method]
      return operation ? [{ path, method, operation, tag: operation.tags?.[0] ?? 'Other' }] : []
    }),
  )
  const tags = [...new Set(operations.map((op) => op.tag))]
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{`${doc.info.title} ${doc.info.version}`}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <main>
          <h1>
            {doc.info.title} <span class="muted">{doc.info.version}</span>
          </h1>
          <p>
            <Prose text={doc.info.description} />
          </p>
          <p>
            Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>. The OpenAPI 3.1
            document: <a href="/api/openapi.json">/api/openapi.json</a>.
          </p>
          <nav>
            <ul>
              {tags.map((tag) => (
                <li>
                  <a href={`#tag-${tag}`}>{tag}</a>
                </li>
              ))}
              <li>
                <a href="#schemas">Schemas</a>
              </li>
            </ul>
          </nav>
          {tags.map((tag) => (
            <>
              <h2 id={`tag-${tag}`}>{tag}</h2>
              {operations
                .filter((op) => op.tag === tag)
                .map(({ path, method, operation }) => (
                  <section class="op" id={anchor(method, path)}>
                    <h3>
                      <span class={`m ${method}`}>{method.toUpperCase()}</span>
                      <code>{path}</code>
                    </h3>
                    <p>
                      <Prose text={operation.summary} />
                      {!operation.security?.length && <span class="muted"> No token needed.</span>}
                    </p>
                    {operation.description && (
                      <p class="muted">
                        <Prose text={operation.description} />
                      </p>
                    )}
                    {operation.parameters && operation.parameters.length > 0 && (
                      <table class="params">
                        <thead>
                          <tr>
                            <th>Parameter</th>
                            <th>In</th>
                            <th>Type</th>
                            <th>Description</th>
                          </tr>
                        </thead>
                        <tbody>
                          {operation.parameters.map((parameter) => (
                            <tr>
                              <td>
                                <code>{parameter.name}</code>
                                {parameter.required ? <b> required</b> : ''}
                              </td>
                              <td data-label="In">{parameter.in}</td>
                              <td data-label="Type">
                                <TypeOf schema={parameter.schema} />
                              </td>
                              <td>
                                <Prose
                                  text={parameter.description ?? parameter.schema?.description}
                                />
                              </td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    )}
                    {Object.entries(operation.requestBody?.content ?? {}).map(([type, body]) => (
                      <>
                        <p>
                          Body (<code>{type}</code>): <TypeOf schema={body.schema} />
                        </p>
                        <Fields schema={body.schema} />
                      </>
                    ))}
                    <table class="responses">
                      <tbody>
                        {Object.entries(operation.responses ?? {}).map(([status, response]) => (
                          <tr>
                            <td>
                              <code>{status}</code>
                            </td>
                            <td>
                              <Prose text={response.description} />
                              {Object.values(response.content ?? {}).map((content) => (
                                <>
                                  {': '}
                                  <TypeOf schema={content.schema} />
                                  <Fields schema={content.schema} />
                                </>
                              ))}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </section>
                ))}
            </>
          ))}
          <h2 id="schemas">Schemas</h2>
          {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
            <section class="op" id={`schema-${name}`}>
              <h3>{name}</h3>
              <p>
                <TypeOf schema={{ ...schema, $ref: undefined }} />{' '}
                <Prose text={schema.description} />
              </p>
              <Fields schema={schema} />
            </section>
          ))}
        </main>
      </body>
    </html>
  )
}
