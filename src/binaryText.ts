// The one rule for "this text is binary, not code", shared by the editor side (src/completion,
// before a request is made) and the engine (which refuses such a request from any client).

/** Control characters (other than tab, line breaks, form feed and escape) that make text binary above 5 %. */
const CONTROL_SHARE = 0.05;
/** Only the first 4,096 characters are scanned for control characters: enough to tell, cheap on megabytes. */
const SCAN_CHARS = 4096;
/** Replacement characters (bytes that were not valid UTF-8 when the file was decoded) tolerated. */
const MAX_REPLACEMENTS = 8;

/** NUL bytes, more than 8 U+FFFD, or over 5 % control characters in the first 4,096 characters. */
export function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  let replacements = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    if (++replacements > MAX_REPLACEMENTS) return true;
  }
  const n = Math.min(text.length, SCAN_CHARS);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 9 || (c > 13 && c < 32)) && c !== 27) control++;
  }
  return n > 0 && control / n > CONTROL_SHARE;
}
