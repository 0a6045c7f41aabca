import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/lib/config'
import { foldKeyword } from '../../src/lib/keywords'
import { wranglerVars } from './wrangler-vars'

// The keywords as wrangler.toml deploys them.
const env = wranglerVars()
const { OPT_OUT_KEYWORDS, OPT_IN_KEYWORDS } = loadConfig(env)

/** Which command a whole message is, as the inbound webhook decides it. */
function commandOf(text: string): 'opt-out' | 'opt-in' | null {
  const folded = foldKeyword(text)
  if (OPT_OUT_KEYWORDS.includes(folded)) return 'opt-out'
  if (OPT_IN_KEYWORDS.includes(folded)) return 'opt-in'
  return null
}

describe('an opt-out however it is typed', () => {
  it.each([
    ['Stopp!', 'stopp'],
    ['stop.', 'stop'],
    ['ＳＴＯＰＰ', 'stopp'], // full-width, as East Asian keyboards type it
    ['Stopp\u200B', 'stopp'], // a zero-width space after it
    ['\u200BSt\u200Dopp\u2060', 'stopp'], // zero-width characters inside and around it
    ['\uFEFFstop\u200E', 'stop'], // a byte-order mark and a direction mark
    ['STOP 🛑', 'stop'],
    ['🛑🛑 stop 👋🏽', 'stop'], // emoji with a skin tone
    ['stop ❤️', 'stop'], // emoji with a variation selector
    ['Stópp', 'stopp'],
    ['  STOP\n', 'stop'],
    ['\u00A0stop\u3000', 'stop'], // no-break and ideographic spaces
    ['"Stop"', 'stop'],
    ['¡¿STOP?!', 'stop'],
    ['stop…', 'stop'],
    ['Abmelden!!!', 'abmelden'],
    ['AUSTRAGEN.', 'austragen'],
    ['unsubscribe 🙏', 'unsubscribe'],
    ['Ｕｎｓｕｂｓｃｒｉｂｅ', 'unsubscribe'],
    ['STOP\u3164', 'stop'], // the Hangul filler pasted as a "blank" character
    ['\u115FSTOP\uFFA0', 'stop'], // other Hangul fillers
    ['st\uFE0Fop\u034F', 'stop'], // a variation selector and the grapheme joiner inside
    ['ST\u041EP', 'stop'], // a Cyrillic О among Latin letters
    ['\u0455\u0442op', 'stop'], // Cyrillic ѕ and т with Latin letters
    ['ΑΒΜΕLDΕΝ', 'abmelden'], // Greek capitals that look Latin, with Latin L and D
    ['ꜱᴛᴏᴘ', 'stop'], // small capitals, as "fancy text" generators write
    ['STOP STOP STOP', 'stop'],
    ['stop, stop!', 'stop'],
    ['S T O P', 'stop'],
    ['S.T.O.P.', 'stop'],
    ['S T \u041E P', 'stop'], // spelled out, with a Cyrillic О
    ['\u0405\u0422\u041E\u0420', 'stop'], // ЅТОР: every letter a Cyrillic look-alike
    ['🆂🆃🅾🅿', 'stop'], // negative squared letters
    ['🅢🅣🅞🅟', 'stop'], // negative circled letters
    ['🇸🇹🇴🇵', 'stop'], // regional indicators, and nothing else
    ['STOP 🇩🇪', 'stop'], // next to words, a pair of them is a flag
  ])('%j is the opt-out keyword %s', (typed, keyword) => {
    expect(foldKeyword(typed)).toBe(keyword)
    expect(commandOf(typed)).toBe('opt-out')
  })

  it.each(['Start!', 'start.', 'ＳＴＡＲＴ', 'Start\u200B', 'START ✅', 'Stárt'])(
    '%j is the opt-in keyword',
    (typed) => {
      expect(commandOf(typed)).toBe('opt-in')
    },
  )

  it('folds Meta’s marketing opt-out button texts the same way', () => {
    expect(foldKeyword('Stop promotions')).toBe('stop promotions')
    expect(foldKeyword('STOP  PROMOTIONS! 🛑')).toBe('stop promotions')
    expect(foldKeyword('Werbung\u00A0stoppen\u200B')).toBe('werbung stoppen')
  })
})

describe('what only looks like an opt-out stays a message', () => {
  it.each([
    'Stoppuhr',
    'nicht stoppen',
    'bitte nicht stop sagen',
    'Can you stop by tomorrow?',
    'stop it',
    'stop start',
    'Stoppt',
    'Startseite',
    'стоп', // Russian for stop: a keyword only where one configures it
    'СТОП',
    'ΣΤΟΠ',
    '🇩🇪',
    'Start the run at 9?',
    '🛑',
    '',
    '\u200B',
  ])('%j is no command', (typed) => {
    expect(commandOf(typed)).toBeNull()
  })
})

describe('configured keywords', () => {
  it('are folded by the same rule as the messages they are compared with', () => {
    const config = loadConfig({
      ...env,
      OPT_OUT_KEYWORDS: ' STOPP!, Ａｂｍｅｌｄｅｎ ,Opt-out,🛑, Désinscrire',
      OPT_IN_KEYWORDS: 'Start ✅',
    })
    expect(config.OPT_OUT_KEYWORDS).toEqual(['stopp', 'abmelden', 'opt out', 'desinscrire'])
    expect(config.OPT_IN_KEYWORDS).toEqual(['start'])
    for (const typed of ['opt out', 'OPT-OUT!', 'Opt_Out', 'désinscrire.']) {
      expect(config.OPT_OUT_KEYWORDS, typed).toContain(foldKeyword(typed))
    }
  })

  it('in another script match as configured, and are not taken for look-alikes', () => {
    const config = loadConfig({ ...env, OPT_OUT_KEYWORDS: 'STOP, Стоп' })
    expect(config.OPT_OUT_KEYWORDS).toEqual(['stop', 'стоп'])
    expect(config.OPT_OUT_KEYWORDS).toContain(foldKeyword('СТОП!'))
    expect(config.OPT_OUT_KEYWORDS).toContain(foldKeyword('ST\u041EP'))
  })
})
