// What the in-editor denoise draws for one step: the middle so far as runs of text, each masked
// position a dim placeholder, tokens committed in this step marked fresh, line breaks and tabs as
// visible glyphs (a decoration is one line), cut to a width. Pure: src/vscode/inlineDenoise.ts
// turns runs into decorations.
import type { StepEvent } from '../../protocol';

export type RunKind = 'committed' | 'fresh' | 'masked' | 'newline';

export interface Run {
  kind: RunKind;
  text: string;
}

export const MASK_GLYPH = '\u2591';
export const NEWLINE_GLYPH = ' \u21b5 ';

/** Runs for a step, neighbours of one kind merged, at most `maxChars` characters (then '…'). */
export function denoiseRuns(step: StepEvent, maxChars: number): Run[] {
  const fresh = new Set(step.committed);
  const runs: Run[] = [];
  let used = 0;
  const append = (kind: RunKind, text: string) => {
    const last = runs[runs.length - 1];
    if (last?.kind === kind) last.text += text;
    else runs.push({ kind, text });
  };
  const push = (kind: RunKind, text: string): boolean => {
    if (used + text.length > maxChars) {
      append('masked', '\u2026');
      return false;
    }
    used += text.length;
    append(kind, text);
    return true;
  };
  for (const [pos, tok] of step.tokens.entries()) {
    if (tok === null) {
      if (!push('masked', MASK_GLYPH)) break;
      continue;
    }
    const kind: RunKind = fresh.has(pos) ? 'fresh' : 'committed';
    const parts = tok.replace(/\t/g, '    ').split('\n');
    let ok = true;
    for (const [i, part] of parts.entries()) {
      if (i > 0) ok &&= push('newline', NEWLINE_GLYPH);
      if (ok && part) ok = push(kind, i > 0 ? part.trimStart() : part);
      if (!ok) break;
    }
    if (!ok) break;
  }
  return runs;
}
