/**
 * How text taken from a model file (a pickle's module and name, a zip member's name, a Keras layer or class name, a
 * tensor name, a parser's error message quoting the file) is shown in messages and summaries. The file chooses that
 * text, and messages reach terminals, SARIF viewers and editors: a name like `evil\x1b[2K\x1b[1G OK: no findings\n`
 * must not rewrite the line it is printed on, a bidi override must not reorder it, and a backtick must not close the
 * message's code span (nor `verdictOf`'s). The data fields of a report (`PickleImport.module` / `name` / `member`)
 * keep the text as found; only what is shown goes through `shown`.
 */

/** The most characters of one shown name (escapes included); longer ones end with an ellipsis. */
export const SHOWN_MAX = 120;

/**
 * Characters replaced by a visible escape: C0 controls, DEL, C1 controls; the bidi embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) and marks (U+061C, U+200E, U+200F); zero-width characters (U+200B–U+200D, U+FEFF);
 * the line and paragraph separators (U+2028, U+2029); and lone surrogates (which no UTF-8 output can carry).
 */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function escape(ch: string): string {
  const c = ch.charCodeAt(0);
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

function piece(cp: string): string {
  if (cp === '`') return "'";
  return cp.length === 1 && HIDDEN.test(cp) ? escape(cp) : cp;
}

/**
 * `text` as it may appear inside a message's code span: hidden characters (see `HIDDEN`) as `\x1b` / `\u202e`,
 * backticks as `'`, and at most `max` characters (an escape is never cut; a cut ends with `…`).
 */
export function shown(text: string, max = SHOWN_MAX): string {
  let out = '';
  let at = 0;
  for (const cp of text) {
    const p = piece(cp);
    at += cp.length;
    // Keep room for the ellipsis unless this is the last piece.
    if (out.length + p.length > (at >= text.length ? max : max - 1)) return `${out}…`;
    out += p;
  }
  return out;
}

/**
 * An archive member's name (`outer.zip!/inner/archive/data.pkl`), shown as `shown` does but cut at the start when it
 * is too long, since its end says the most (`…/archive/data.pkl`).
 */
export function shownMember(member: string, max = SHOWN_MAX): string {
  const whole = shown(member, Infinity);
  if (whole.length <= max) return whole;
  // Cut on a character boundary: not inside an escape or a surrogate pair.
  let start = whole.length - (max - 1);
  const escapeStart = whole.lastIndexOf('\\', start);
  if (escapeStart >= 0 && escapeStart < start && escapeStart > start - 6 && /^\\(x[0-9a-f]{2}|u[0-9a-f]{4})/.test(whole.slice(escapeStart))) {
    const len = whole[escapeStart + 1] === 'x' ? 4 : 6;
    if (escapeStart + len > start) start = escapeStart + len;
  }
  if (/[\udc00-\udfff]/.test(whole[start] ?? '')) start++;
  return `…${whole.slice(start)}`;
}

/** An error's message, shown (it may quote the file: JSON.parse's does). */
export function shownError(err: unknown, max = 300): string {
  const message = err instanceof Error ? err.message : String(err);
  return shown(message, max);
}
