/**
 * CSV as spreadsheets open it: RFC 4180 quoting, CRLF line ends, and no cell a spreadsheet would
 * run as a formula.
 */

/** What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A phone number as the product stores it: E.164, `+` then 8 to 15 digits. A spreadsheet reads
 * `+` followed by digits alone as that very number: there is no function, reference or DDE call
 * in it to run, so it cannot inject, and it is written as it is. Each way of marking it as text
 * costs more than it gives: an apostrophe becomes part of the value for every program reading
 * the file and shows in spreadsheets too; `="+49..."` is exact only in a spreadsheet that
 * evaluates it, is a formula itself, and is garbage to a CRM importing the file. Written
 * unchanged, the number is exact everywhere. A spreadsheet that guesses types may display it as
 * a number without its `+` (Excel in scientific notation); that loses no digit (E.164's at most
 * 15 are within the 15 significant digits every spreadsheet keeps), and choosing Text for the
 * column on import shows it as written. Anything else after a `+` (`+1+1`, `+49 151`,
 * `+SUM(1)`) may be an expression and keeps its apostrophe.
 */
const E164_PHONE = /^\+\d{8,15}$/

/**
 * Where a spreadsheet reading the file another way starts a cell inside one of ours: Excel in
 * much of Europe (German and French among them) splits a `.csv` on `;`, an import may split on
 * tabs, and a quote that is not at the start of its field quotes nothing, so a line break inside
 * our quotes starts a row there. A formula character after one (spaces or quotes between, or
 * not: a spreadsheet may unquote the piece) is defused as at the start of the cell.
 */
const INNER_FORMULA_START = /([;\t\r\n][\s"]*)(?=[=+\-@])/g

export function csvCell(value: string): string {
  const start = FORMULA_START.test(value) && !E164_PHONE.test(value) ? `'${value}` : value
  const safe = start.replace(INNER_FORMULA_START, "$1'")
  return /[",;\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One line of cells, quoted and defused as needed (no line end). */
export function csvLine(values: ReadonlyArray<string | number>): string {
  return values.map((value) => csvCell(String(value))).join(',')
}

/** The headers of a CSV download named `filename`, never cached (it holds private figures). */
export function csvDownloadHeaders(filename: string): Record<string, string> {
  return {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'private, no-store',
  }
}
