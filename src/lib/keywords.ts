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
  let words = lettersOfSymbols(value.normalize('NFKC'))
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
  // A word spelled out letter by letter is that word ("S T O P", "S.T.O.P."), and a word said
  // again and again is said once ("STOP STOP STOP"): neither has another meaning.
  if (words.length > 1 && words.every((word) => [...word].length === 1)) words = [words.join('')]
  words = words.map(plainLetters)
  if (words.length > 1 && words.every((word) => word === words[0])) return words[0]!
  return words.join(' ')
}

/**
 * Letters drawn as symbols, to the letters: the negative circled and squared ones (🅾, 🆂), and
 * regional indicators (🇸🇹🇴🇵) where the message is nothing else: next to words, a pair of them
 * is a flag ("STOP 🇩🇪").
 */
function lettersOfSymbols(text: string): string {
  const letter = (symbol: string, first: number) =>
    String.fromCharCode(97 + symbol.codePointAt(0)! - first)
  let plain = text
    .replace(/[\u{1F150}-\u{1F169}]/gu, (symbol) => letter(symbol, 0x1f150))
    .replace(/[\u{1F170}-\u{1F189}]/gu, (symbol) => letter(symbol, 0x1f170))
  if (/^[^\p{L}\p{N}]*$/u.test(plain.replace(/[\u{1F1E6}-\u{1F1FF}]/gu, ''))) {
    plain = plain.replace(/[\u{1F1E6}-\u{1F1FF}]/gu, (symbol) => letter(symbol, 0x1f1e6))
  }
  return plain
}

/**
 * Latin small capitals ("ꜱᴛᴏᴘ", as "fancy text" generators write), and Cyrillic and Greek letters
 * that look like Latin ones in a word that mixes them with Latin letters (`ST\u041EP`, a Cyrillic
 * О) or is made of nothing else (`ЅТОР`): to those Latin letters. A word of another script that
 * has a letter of its own is left alone: "стоп" is Russian for stop, and becomes a keyword only by
 * configuring it.
 */
function plainLetters(word: string): string {
  const plain = word.replace(SMALL_CAPITAL, (letter) => SMALL_CAPITALS[letter]!)
  if (!LOOK_ALIKE.test(plain)) return plain
  const lookAlikesOnly = [...plain].every((letter) => letter in LOOK_ALIKES || /[a-z]/.test(letter))
  return lookAlikesOnly ? plain.replace(LOOK_ALIKE_ALL, (letter) => LOOK_ALIKES[letter]!) : plain
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
