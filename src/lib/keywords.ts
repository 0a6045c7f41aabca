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
  return (
    value
      // Full-width and other compatibility forms to their plain letters (ＳＴＯＰＰ to STOPP).
      .normalize('NFKC')
      // Lower case before the accents go: "İ" lowers to "i" and a combining dot.
      .toLowerCase()
      // Accents apart from their letters, then dropped: "Stópp" is "stopp".
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      // Invisible format characters (zero-width space and joiner, direction marks) can sit inside
      // a word without anyone seeing them: removed, not turned into a gap.
      .replace(/\p{Cf}/gu, '')
      // Punctuation, symbols and emoji, control and unassigned code points (an emoji newer than
      // the runtime's Unicode tables is unassigned to it), and whitespace: one space between words.
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()
  )
}
