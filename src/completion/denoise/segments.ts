// What the in-editor denoise draws for one step: the middle so far as one line of text in two
// segments, the settled part (every token before the first masked position) and the part still
// in flux (from there on: masked positions as placeholders, tokens already committed among them),
// line breaks and tabs as visible glyphs (a decoration is one line), cut to a width. Pure:
// src/vscode/inlineDenoise.ts draws the segments as two decorations.
import type { StepEvent } from '../../protocol';

export interface Segments {
  settled: string;
  pending: string;
}

export const MASK_GLYPH = '\u2591';
export const NEWLINE_GLYPH = ' \u21b5 ';

/** A token as one line: line breaks as a glyph with the next line's indentation dropped, tabs as spaces. */
const oneLine = (tok: string) => tok.replace(/\t/g, '    ').replace(/\n[ \t]*/g, NEWLINE_GLYPH);

export function denoiseSegments(step: StepEvent, maxChars: number): Segments {
  const firstMask = step.tokens.indexOf(null);
  const cut = firstMask < 0 ? step.tokens.length : firstMask;
  const settled = step.tokens.slice(0, cut).map((t) => oneLine(t!)).join('');
  const pending = step.tokens
    .slice(cut)
    .map((t) => (t === null ? MASK_GLYPH : oneLine(t)))
    .join('');
  if (settled.length >= maxChars) return { settled: settled.slice(0, maxChars) + '\u2026', pending: '' };
  const room = maxChars - settled.length;
  return { settled, pending: pending.length > room ? pending.slice(0, room) + '\u2026' : pending };
}
