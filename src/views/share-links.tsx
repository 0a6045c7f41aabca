import type { Messages } from '../lib/i18n'

/**
 * The referral link, shared in a tap: a message ready to send in WhatsApp or Telegram, the link
 * in it. Links, which work in every browser (the page's no-referrer policy keeps its own address,
 * the status token, from the app opened), and a button that copies the link for any other app.
 */
export function ShareLinks(props: {
  t: Messages
  url: string
  communityName: string
  nonce: string
}) {
  const message = props.t.shareMessage(props.communityName)
  const whatsApp = `https://wa.me/?text=${encodeURIComponent(`${message} ${props.url}`)}`
  const telegram = `https://t.me/share/url?${new URLSearchParams({ url: props.url, text: message })}`
  return (
    <>
      <p class="share">
        <a href={whatsApp} rel="noopener noreferrer">
          {props.t.shareWhatsApp}
        </a>
        <a href={telegram} rel="noopener noreferrer">
          {props.t.shareTelegram}
        </a>
        {/* Shown only where the browser can copy (the script unhides it): for any other app. */}
        <button
          type="button"
          hidden
          aria-live="polite"
          data-copy={props.url}
          data-done={props.t.copied}
        >
          {props.t.copyLink}
        </button>
      </p>
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: COPY_SCRIPT }} />
    </>
  )
}

/**
 * The copy button's few lines: it appears where the clipboard can be written, and says done for
 * two seconds (left saying done, a second copy would look like nothing happened).
 */
const COPY_SCRIPT = `(function(){var b=document.currentScript.previousElementSibling.querySelector('[data-copy]');if(!b||!navigator.clipboard)return;b.hidden=false;b.addEventListener('click',function(){navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function(){b.label=b.label||b.textContent;b.textContent=b.getAttribute('data-done');clearTimeout(b.reset);b.reset=setTimeout(function(){b.textContent=b.label},2000)},function(){})})})()`
