// The pages of the local stand-ins (stand-ins.mjs): plain HTML, every value escaped.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char])
const time = (ms) => new Date(ms).toLocaleTimeString('en-GB')
/**
 * A date and time as a reader of that language writes them, on the community's clock (the
 * event's `timeZone`; this machine's for an event from before it was sent), with the zone
 * named, as the community's own pages tell it.
 */
const moment = (iso, language, timeZone) => {
  const options = {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }
  const locale = language === 'de' ? 'de-DE' : 'en-GB'
  try {
    return new Date(iso).toLocaleString(locale, { ...options, timeZone })
  } catch {
    // A zone this Node does not know: the machine's, still named.
    return new Date(iso).toLocaleString(locale, options)
  }
}
/** Only web links become links: a value from elsewhere never runs as a script. */
const webLink = (url) =>
  /^https?:\/\//.test(String(url ?? ''))
    ? `<a href="${esc(url)}">${esc(url)}</a>`
    : esc(url ?? '(no link)')

/** A message's text with its web links tappable, as WhatsApp shows them. */
const withLinks = (text) =>
  String(text ?? '')
    .split(/(https?:\/\/[^\s<>"']+)/)
    .map((part, index) => (index % 2 === 1 ? webLink(part) : esc(part)))
    .join('')

export function layout(title, body, head = '') {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · local stand-in</title>${head}
<style>
body{font:16px/1.45 system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:1rem;color:#1a1a1a}
nav{display:flex;flex-wrap:wrap;gap:0 1rem}nav a{display:inline-flex;align-items:center;min-height:44px}
.muted{color:#666;font-size:.9rem}.alert{color:#a40000}
.notice{background:#e6f4ea;border-left:4px solid #1e7e34;padding:.6rem .8rem;border-radius:.3rem}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input,textarea,select{width:100%;max-width:100%;box-sizing:border-box;font:inherit;padding:.4rem}
button{font:inherit;padding:.5rem 1rem;margin-top:.6rem;cursor:pointer;min-height:44px}
ol.chat{list-style:none;padding:0}ol.chat li{margin:.5rem 0;padding:.5rem .7rem;border-radius:.6rem;max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}
li.in{background:#dcf8c6;margin-left:auto!important}li.out{background:#f0f0f0}
.mail{border:1px solid #ddd;border-radius:.4rem;padding:.7rem;margin:.8rem 0}.mail dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .8rem;margin:0}
.mail dt{color:#666}.mail dd{margin:0;overflow-wrap:anywhere}.mail p{overflow-wrap:anywhere}
</style></head>
<body><nav><a href="/phone">Phone (WhatsApp)</a><a href="/telegram">Telegram</a><a href="/outbox">E-mail outbox</a><a href="/">About</a></nav>
${body}</body></html>`
}

export function indexPage({ url, workerUrl }) {
  return layout(
    'Local stand-ins',
    `<h1>Local stand-ins</h1>
<p>They play the outside services for the Worker at <a href="${esc(workerUrl)}">${esc(workerUrl)}</a>,
so every flow can be finished on this machine. Nothing here leaves it.</p>
<ul>
<li><a href="/phone">${esc(url)}/phone</a>: a phone with WhatsApp. Confirm a sign-up, write <q>Stopp</q>,
see what the business sends you.</li>
<li><a href="/telegram">${esc(url)}/telegram</a>: Telegram. Join a chat through one of the bot's invite
links (or ask to, in a closed community), leave it again, write <q>/start</q> to the bot; see what the bot
posted. The Bot API itself is at ${esc(url)}/telegram/bot&lt;token&gt; (<code>TELEGRAM_API_BASE</code>).</li>
<li><a href="/outbox">${esc(url)}/outbox</a>: the e-mails the Worker asked your mail system to send.</li>
<li>${esc(url)}/whatsapp: the WhatsApp Cloud API (<code>WHATSAPP_API_BASE</code>).</li>
<li>${esc(url)}/webhook: the announcement webhook (<code>DELIVERY_WEBHOOK_URL</code>); events arrive at
${esc(url)}/stand-in/events. What arrives is printed in the terminal.</li>
</ul>`,
  )
}

/** Someone's chat with the business: what they sent (right) and what it sent them (left). */
export function chatList(chat) {
  if (chat.length === 0) return '<li class="muted">No messages with this number yet.</li>'
  return chat
    .map((message) => {
      const meta =
        message.direction === 'in'
          ? `to the business · ${time(message.at)} · ${
              typeof message.worker === 'number'
                ? `the Worker answered ${message.worker}`
                : message.worker
                  ? `the Worker was ${esc(message.worker)}`
                  : 'on its way to the Worker'
            }`
          : message.kind === 'announcement'
            ? `announcement through the webhook channel · ${time(message.at)}`
            : `from the business · ${time(message.at)} · ${esc(message.status)}`
      const buttons = (message.buttons ?? [])
        .map(
          (button) => `<form method="post" action="/phone/tap">
<input type="hidden" name="from" value="${esc(message.number)}">
<input type="hidden" name="payload" value="${esc(button.payload)}">
<input type="hidden" name="text" value="${esc(button.payload)}">
<input type="hidden" name="context" value="${esc(message.id)}">
<button>Tap the button</button></form>`,
        )
        .join('')
      return `<li class="${message.direction}">${withLinks(message.text)}${buttons}
<div class="muted">${meta}</div></li>`
    })
    .join('\n')
}

export function phonePage({ number, text, businessNumber, workerUrl, chat, knownNumbers, error }) {
  const others = knownNumbers
    .filter((known) => known !== number)
    .map((known) => `<a href="/phone?number=${esc(known)}">+${esc(known)}</a>`)
    .join(' · ')
  // Kept up to date while the page is open, without touching what is being typed.
  const refresh = number
    ? `<script>
const chat = document.getElementById('chat')
setInterval(async () => {
  const answer = await fetch('/phone/chat?number=${esc(number)}').catch(() => null)
  if (answer && answer.ok) chat.innerHTML = await answer.text()
}, 2000)
</script>`
    : ''
  return layout(
    'Phone',
    `<h1>Phone</h1>
<p class="muted">A stand-in for a person's WhatsApp. What you send here reaches the Worker as a
message to the business number ${esc(businessNumber)}, the way WhatsApp delivers it (a signed
notification to ${esc(workerUrl)}/webhooks/whatsapp). The status page's <q>Confirm in WhatsApp</q>
opens this page with the message filled in.</p>
${error ? `<p class="alert">${esc(error)}</p>` : ''}
<form method="post" action="/phone/send">
<label for="from">Your phone number (the one you signed up with)</label>
<input id="from" name="from" type="tel" required placeholder="+49 151 23456789" value="${number ? `+${esc(number)}` : ''}">
<label for="text">Message to ${esc(businessNumber)}</label>
<textarea id="text" name="text" rows="3" required>${esc(text)}</textarea>
<button>Send</button>
</form>
${others ? `<p class="muted">Other numbers: ${others}</p>` : ''}
${
  number
    ? `<h2>Chat of +${esc(number)}</h2>
<p class="muted">Replies come through the Cloud API stand-in; their sent, delivered and read statuses
go back to the Worker a second apart.</p>
<ol class="chat" id="chat">${chatList(chat)}</ol>`
    : ''
}
${refresh}`,
  )
}

/** What a mail system would write from a `join.approved` or `join.rejected` event. */
function decisionMail({ language, to, decision }) {
  const german = language === 'de'
  const name = esc(to.name)
  const community = esc(decision.communityName)
  const reason = decision.reason
    ? `<p>${german ? 'Begründung' : 'Reason'}: ${esc(decision.reason)}</p>`
    : ''
  // The page of the link this address was sent before: the decision, and the way in.
  const page = decision.pageUrl
    ? `<p>${
        decision.approved
          ? german
            ? 'So kommst du in die Gruppe'
            : 'How to get into the group'
          : german
            ? 'Deine Anmeldung'
            : 'Your sign-up'
      }: ${webLink(decision.pageUrl)}</p>`
    : ''
  if (decision.approved) {
    return (
      (german
        ? `<p>Hallo ${name}, deine Anfrage bei ${community} ist angenommen: Willkommen!</p>`
        : `<p>Hello ${name}, your request to join ${community} was approved: welcome!</p>`) + page
    )
  }
  return (
    (german
      ? `<p>Hallo ${name}, deine Anfrage bei ${community} wurde abgelehnt.</p>`
      : `<p>Hello ${name}, your request to join ${community} was declined.</p>`) +
    reason +
    page
  )
}

export function outboxPage({ mails, workerUrl }) {
  const list = [...mails]
    .reverse()
    .map(
      (mail) => `<article class="mail">
<dl><dt>To</dt><dd>${esc(mail.to.name)} &lt;${esc(mail.to.email)}&gt;</dd>
<dt>Subject</dt><dd>${esc(mail.subject)}</dd>
<dt>Received</dt><dd>${time(mail.at)}</dd></dl>
${
  mail.decision
    ? decisionMail(mail)
    : mail.language === 'de'
      ? `<p>Hallo ${esc(mail.to.name)}, bitte bestätige deine Anmeldung: ${webLink(mail.confirmUrl)}</p>
<p class="muted">Gültig bis ${esc(moment(mail.expiresAt, 'de', mail.timeZone))}. Der Link öffnet eine Seite mit einem
Knopf; erst der Knopf bestätigt.</p>`
      : `<p>Hello ${esc(mail.to.name)}, please confirm your sign-up: ${webLink(mail.confirmUrl)}</p>
<p class="muted">Valid until ${esc(moment(mail.expiresAt, 'en', mail.timeZone))}. The link opens a page with a
button; only the button confirms.</p>`
}
</article>`,
    )
    .join('\n')
  return layout(
    'E-mail outbox',
    `<h1>E-mail outbox</h1>
<p class="muted">The e-mails the Worker asked your mail system to send: each
<code>member.confirmation_requested</code> event, and each <code>join.approved</code> and
<code>join.rejected</code> to a confirmed address, delivered as signed webhooks. Events leave the
Worker's outbox when the cron runs (every minute under <code>npm run dev</code>).</p>
<form method="post" action="/cron"><button>Run the cron now</button></form>
${list || '<p>No e-mails yet. Sign up with an e-mail address, then run the cron.</p>'}
<p class="muted">Worker: ${esc(workerUrl)}</p>`,
    '<meta http-equiv="refresh" content="5">',
  )
}
