/**
 * Chat commands (opt-out and opt-in keywords, Meta's marketing opt-out button) are matched on
 * the whole message, after folding away what people and their keyboards add around a word:
 * `Stopp!`, `stop.`, full-width `ＳＴＯＰＰ`, `Stopp` with a zero-width space, `STOP 🛑` and
 * `Stópp` all fold to the keyword. Missing an opt-out is a compliance risk; matching a sentence
 * that merely mentions one ("Can you stop by tomorrow?") or a longer word ("Stoppuhr") is the
 * opposite mistake, so the words themselves must stay whole: only what is not a letter or a digit
 * goes.
 *
 * Configured keywords are folded with the same function, so `OPT_OUT_KEYWORDS=Opt-out` and a
 * message "opt out!" meet in the middle ("opt out").
 */
export function foldKeyword(value: string): string {
  const words = value
    // Full-width and other compatibility forms to their plain letters (ＳＴＯＰＰ to STOPP).
    .normalize('NFKC')
    // Lower case before the accents go: "İ" lowers to "i" and a combining dot.
    .toLowerCase()
    // Accents apart from their letters, then dropped: "Stópp" is "stopp".
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    // What renders as nothing can sit inside a word without anyone seeing it: format characters
    // (zero-width space and joiner, direction marks) and every other default-ignorable code
    // point (variation selectors, the Hangul fillers pasted as "blank" characters). Removed, not
    // turned into a gap.
    .replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, '')
    // Punctuation, symbols and emoji, control and unassigned code points (an emoji newer than
    // the runtime's Unicode tables is unassigned to it), and whitespace: one space between words.
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .map(plainLetters)
  // A word said again and again is said once ("STOP STOP STOP"); a word spelled out letter by
  // letter is that word ("S T O P", "S.T.O.P."). Neither has another meaning.
  if (words.length > 1 && words.every((word) => word === words[0])) return words[0]!
  if (words.length > 1 && words.every((word) => [...word].length === 1)) return words.join('')
  return words.join(' ')
}

/**
 * Latin small capitals ("ꜱᴛᴏᴘ", as "fancy text" generators write), and in a word that mixes
 * Latin letters with Cyrillic or Greek ones (`ST\u041EP`, a Cyrillic О), the Cyrillic and Greek
 * letters that look like Latin ones: to those Latin letters. A word wholly in another script is
 * left alone: "стоп" is Russian for stop, and becomes a keyword only by configuring it.
 */
function plainLetters(word: string): string {
  let plain = word.replace(SMALL_CAPITAL, (letter) => SMALL_CAPITALS[letter]!)
  if (/[a-z]/.test(plain) && LOOK_ALIKE.test(plain)) {
    plain = plain.replace(LOOK_ALIKE_ALL, (letter) => LOOK_ALIKES[letter]!)
  }
  return plain
}

const SMALL_CAPITALS: Record<string, string> = Object.fromEntries(
  [...'ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ'].map((letter, i) => [letter, 'abcdefghijklmnoprstuvwyz'[i]!]),
)
const SMALL_CAPITAL = new RegExp(`[${Object.keys(SMALL_CAPITALS).join('')}]`, 'gu')

/** Cyrillic and Greek letters, lower-cased, that look like a Latin one (in either case). */
const LOOK_ALIKES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ј: 'j',
  ԁ: 'd',
  ӏ: 'l',
  ԛ: 'q',
  ԝ: 'w',
  α: 'a',
  β: 'b',
  ε: 'e',
  ζ: 'z',
  η: 'h',
  ι: 'i',
  κ: 'k',
  μ: 'm',
  ν: 'n',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'y',
  χ: 'x',
}
const LOOK_ALIKE = new RegExp(`[${Object.keys(LOOK_ALIKES).join('')}]`, 'u')
const LOOK_ALIKE_ALL = new RegExp(LOOK_ALIKE.source, 'gu')
