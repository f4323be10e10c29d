// Hostile text stays text (SPEC §11): characters that move a terminal's cursor, start an escape
// sequence, break a log line or reorder what is shown are written as visible escapes instead.
// Hand-written: the few libraries that do this (jsesc, strip-ansi) either escape every non-ASCII
// character or delete the sequence, and a deleted sequence hides that someone sent one.

/** C0 (incl. \n \r \t ESC), DEL, C1, the line/paragraph separators and the bidi embeddings, overrides and isolates. */
const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(char: string): string {
  const code = char.charCodeAt(0);
  return named[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** `text` with every control character as a visible escape (`\x1b`, `\n`, `\u202e`); one line. */
export function escapeControl(text: string): string {
  return text.replace(control, visible);
}

/**
 * A value as one line of JSON whose strings carry no raw control character: JSON.stringify already
 * escapes C0, and this escapes what it leaves (DEL, C1, separators, bidi) as `\uXXXX`, which parses
 * back to the same value. Outside strings JSON.stringify writes only ASCII, so nothing else is touched.
 */
export function controlSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(control, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
