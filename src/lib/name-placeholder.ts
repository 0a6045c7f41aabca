/**
 * `{name}` in an announcement's text stands for the name each member gave when they joined: a
 * message to one member carries it. A text that goes to a whole chat (a Telegram post), or to a
 * member without a name, leaves the placeholder out with what only made sense around a name:
 * the space before it ("Hi {name}," is "Hi,"), or, where it opens a line, the comma after it
 * ("{name}, we run at 9" is "we run at 9").
 */
export const NAME_PLACEHOLDER = '{name}'

const OPENING_A_LINE = /(^|\n)[ \t]*\{name\}[ \t]*[,!:;]?[ \t]*/g
/** Before punctuation, with the comma that set the name apart: "Hello, {name}!" is "Hello!". */
const BEFORE_PUNCTUATION = /,?[ \t]*\{name\}(?=[ \t]*[,.!?;:)])/g
const WITHIN_A_LINE = /[ \t]*\{name\}/g

/** The text for readers we do not address by name. */
export function textWithoutName(text: string): string {
  if (!text.includes(NAME_PLACEHOLDER)) return text
  return text
    .replace(OPENING_A_LINE, '$1')
    .replace(BEFORE_PUNCTUATION, '')
    .replace(WITHIN_A_LINE, '')
}

/**
 * The text for one member, `name` where it says `{name}`. Past `maxLength` characters with the
 * name in (a long name, many times), the text without it: a message is never cut short.
 */
export function textWithName(text: string, name: string | null, maxLength: number): string {
  if (!text.includes(NAME_PLACEHOLDER)) return text
  const given = name?.trim()
  if (!given) return textWithoutName(text)
  // A function, so a `$&` in someone's name is their name, not a replacement pattern.
  const personal = text.replaceAll(NAME_PLACEHOLDER, () => given)
  return [...personal].length <= maxLength ? personal : textWithoutName(text)
}
