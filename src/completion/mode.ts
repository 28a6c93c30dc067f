// Decisions taken from the shape of the cursor's line: single- or multi-line completion, and
// whether real code stands right of the cursor (then completions are not triggered automatically).
import type { InfillMode } from '../protocol';

export type LineMode = 'single' | 'multi';

const BLOCK_OPENERS = [':', '{', '(', '[', '=>'];

/** Characters that may stand right of the cursor without counting as code (auto-closed pairs). */
const CLOSERS_ONLY = /^[\s)\]}>'"`;,]*$/;

export function lineBeforeCursor(prefix: string): string {
  return prefix.slice(prefix.lastIndexOf('\n') + 1);
}

export function lineAfterCursor(suffix: string): string {
  const nl = suffix.indexOf('\n');
  return nl < 0 ? suffix : suffix.slice(0, nl);
}

export function endsWithBlockOpener(line: string): boolean {
  const t = line.trimEnd();
  return BLOCK_OPENERS.some((o) => t.endsWith(o));
}

/** The last line of text that holds more than whitespace, or '' if none. */
export function lastNonBlankLine(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].trim()) return lines[i];
  return '';
}

/**
 * Single-line inside an unfinished line; multi-line on an empty line after a block opener,
 * or at the end of a line that itself ends with one.
 */
export function decideMode(prefix: string, suffix: string): LineMode {
  if (lineAfterCursor(suffix).trim()) return 'single';
  const before = lineBeforeCursor(prefix);
  if (before.trim()) return endsWithBlockOpener(before) ? 'multi' : 'single';
  const above = prefix.slice(0, prefix.length - before.length);
  return endsWithBlockOpener(lastNonBlankLine(above)) ? 'multi' : 'single';
}

/** A request's line mode: `single` or `multi` as asked; `auto` (or none) decided as the editor does. */
export function requestIsSingleLine(mode: InfillMode | undefined, prefix: string, suffix: string): boolean {
  return mode === 'single' || (mode !== 'multi' && decideMode(prefix, suffix) === 'single');
}

/** True when the rest of the line holds code, not just whitespace and closing brackets/quotes. */
export function codeRightOfCursor(suffix: string): boolean {
  return !CLOSERS_ONLY.test(lineAfterCursor(suffix));
}
