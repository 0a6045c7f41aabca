import { cleanText } from './text'

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

/** Letters of the scripts written right to left. */
const RIGHT_TO_LEFT =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}]/u
const FIRST_STRONG_ISOLATE = '\u2068'
const POP_DIRECTIONAL_ISOLATE = '\u2069'

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
  // Cleaned again (a name stored before names were cleaned may hold bidi controls), so nothing
  // in it can close the isolate below early or reorder the text after it.
  const trimmed = name === null ? '' : cleanText(name).trim()
  if (!trimmed) return textWithoutName(text)
  // A name written right to left is set apart (Unicode's isolates, invisible), so in a text
  // written left to right the "!" after "Hi דנה!" stays after the name, and the reverse. Typed
  // text never carries these controls itself (`cleanText` takes them out, here too).
  const given = RIGHT_TO_LEFT.test(trimmed)
    ? `${FIRST_STRONG_ISOLATE}${trimmed}${POP_DIRECTIONAL_ISOLATE}`
    : trimmed
  // A function, so a `$&` in someone's name is their name, not a replacement pattern.
  const personal = text.replaceAll(NAME_PLACEHOLDER, () => given)
  return [...personal].length <= maxLength ? personal : textWithoutName(text)
}
