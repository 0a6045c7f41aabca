/**
 * Characters that change how the text around them is displayed without being seen: bidi
 * embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the directional marks
 * (U+200E, U+200F, U+061C). `Bob\u202Ekcatta` shows as "Bobattack" and can turn the rest of an
 * admin's page around it backwards.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g
/** Line breaks in all their spellings: CRLF, CR, LF, NEL (U+0085), U+2028, U+2029. */
const LINE_BREAKS = /\r\n?|[\n\u0085\u2028\u2029]/g
/** C0 and C1 control characters other than the line feed, and DEL. */
const CONTROLS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g
/**
 * Halves of a UTF-16 surrogate pair without their other half: JSON may carry them (`"\ud800"`),
 * but they are no character, and stored they would come back as three replacement characters.
 */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Free text as it may be stored and shown: Unicode NFC (one spelling per character, so equal
 * names compare equal), no bidi controls, no control characters, no
 * half characters. Line breaks become `\n` where
 * the field has lines (`multiline`) and spaces elsewhere, as do tabs; everything else invisible
 * is removed. Leading and trailing white space is left to the caller's `trim()`.
 */
export function cleanText(value: string, options: { multiline?: boolean } = {}): string {
  return value
    .replace(LONE_SURROGATES, '')
    .normalize('NFC')
    .replace(BIDI_CONTROLS, '')
    .replace(LINE_BREAKS, options.multiline ? '\n' : ' ')
    .replace(/\t/g, ' ')
    .replace(CONTROLS, '')
}
