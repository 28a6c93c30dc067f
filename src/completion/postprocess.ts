// Clean-up of a raw model middle before it is shown: small named pure steps composed in a
// pipeline (stop at newline, trim, drop repeats of the suffix, balance brackets, fix indentation).
import { endsWithBlockOpener, lastNonBlankLine, lineAfterCursor, lineBeforeCursor, LineMode } from './mode';

export interface IndentStyle {
  insertSpaces: boolean;
  tabSize: number;
}

export interface PostContext {
  prefix: string;
  suffix: string;
  mode: LineMode;
  indent: IndentStyle;
}

export type PostStep = (text: string, ctx: PostContext) => string;

const OPEN_OF: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const QUOTES = new Set(['"', "'", '`']);

const leadingWs = (line: string) => /^[ \t]*/.exec(line)![0];

function indentWidth(ws: string, tabSize: number): number {
  let w = 0;
  for (const ch of ws) w = ch === '\t' ? w + tabSize - (w % tabSize) : w + 1;
  return w;
}

/** Net bracket depth of text (openers minus closers), outside string literals. */
export function bracketDepth(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote || ch === '\n') quote = undefined;
    } else if (QUOTES.has(ch)) quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (ch in OPEN_OF) depth--;
  }
  return depth;
}

/**
 * Positions at or after `from` in `line` holding a closer or a quote that closes something
 * opened before `from` (that is, in the text before the cursor).
 */
function closersReachingBack(line: string, from: number): Set<number> {
  const out = new Set<number>();
  const stack: number[] = [];
  let quote: { ch: string; pos: number } | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote.ch) {
        if (quote.pos < from && i >= from) out.add(i);
        quote = undefined;
      }
    } else if (QUOTES.has(ch)) quote = { ch, pos: i };
    else if ('([{'.includes(ch)) stack.push(i);
    else if (ch in OPEN_OF) {
      const open = stack.pop();
      if (i >= from && (open === undefined || open < from)) out.add(i);
    }
  }
  return out;
}

/** Single-line mode: keep only the first line. */
export const stopAtNewline: PostStep = (text, ctx) => (ctx.mode === 'single' ? text.split('\n')[0] : text);

/** Trailing whitespace on every line and trailing blank lines. */
export const trimTrailingWhitespace: PostStep = (text) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');

/**
 * Multi-line: drop the completion's last lines when the lines right after the cursor already
 * hold them (e.g. a closing brace), unless that would leave a bracket the dropped lines closed.
 */
export const dropLinesRepeatingSuffix: PostStep = (text, ctx) => {
  if (ctx.mode !== 'multi') return text;
  const lines = text.split('\n');
  const next = ctx.suffix
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fullDepth = bracketDepth(text);
  for (let k = Math.min(lines.length - 1, next.length); k >= 1; k--) {
    const tail = lines.slice(-k).map((l) => l.trim());
    if (tail.some((l) => !l) || tail.some((l, i) => l !== next[i])) continue;
    const kept = lines.slice(0, -k).join('\n');
    if (bracketDepth(kept) <= Math.max(0, fullDepth)) return kept;
  }
  return text;
};

/** Drop closing brackets/quotes at the end that the text right of the cursor already has. */
export const balanceBrackets: PostStep = (text, ctx) => {
  const lines = text.split('\n');
  const head = lines.length === 1 ? lineBeforeCursor(ctx.prefix) : '';
  const line = head + lines[lines.length - 1];
  const reaching = closersReachingBack(line, head.length);
  const after = lineAfterCursor(ctx.suffix).trimStart();
  const last = lines[lines.length - 1];
  for (let k = Math.min(last.length, after.length); k >= 1; k--) {
    const tail = line.slice(line.length - k);
    let allReach = true;
    for (let i = line.length - k; i < line.length; i++) allReach &&= reaching.has(i);
    if (allReach && after.startsWith(tail)) return text.slice(0, text.length - k);
  }
  return text;
};

/**
 * Indentation: when the cursor already stands at (or past) the indentation the line needs,
 * the first line's own leading whitespace is a duplicate and goes; later lines are converted
 * to the document's tabs-or-spaces style.
 */
export const fixIndentation: PostStep = (text, ctx) => {
  const { tabSize, insertSpaces } = ctx.indent;
  const lines = text.split('\n');
  const ws = lineBeforeCursor(ctx.prefix);
  if (ws && !ws.trim()) {
    const above = lastNonBlankLine(ctx.prefix.slice(0, ctx.prefix.length - ws.length));
    const expected = indentWidth(leadingWs(above), tabSize) + (endsWithBlockOpener(above) ? tabSize : 0);
    if (indentWidth(ws, tabSize) >= expected) lines[0] = lines[0].slice(leadingWs(lines[0]).length);
  }
  for (let i = 1; i < lines.length; i++) {
    const lead = leadingWs(lines[i]);
    const wrongStyle = insertSpaces ? lead.includes('\t') : lead.includes(' '.repeat(tabSize));
    if (!wrongStyle) continue;
    const w = indentWidth(lead, tabSize);
    const styled = insertSpaces ? ' '.repeat(w) : '\t'.repeat(Math.floor(w / tabSize)) + ' '.repeat(w % tabSize);
    lines[i] = styled + lines[i].slice(lead.length);
  }
  return lines.join('\n');
};

/** Drop a completion that only repeats what follows the cursor or the next lines. */
export const dropRepeatOfSuffix: PostStep = (text, ctx) => {
  const core = text.trim();
  if (!core) return text;
  if (lineAfterCursor(ctx.suffix).trimStart().startsWith(core)) return '';
  const mine = core.split('\n').map((l) => l.trim()).filter(Boolean);
  const next = ctx.suffix
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
  return mine.length <= next.length && mine.every((l, i) => l === next[i]) ? '' : text;
};

/** Whitespace-only completions are no completion. */
export const dropBlank: PostStep = (text) => (text.trim() ? text : '');

export const PIPELINE: readonly PostStep[] = [
  stopAtNewline,
  trimTrailingWhitespace,
  dropLinesRepeatingSuffix,
  balanceBrackets,
  fixIndentation,
  dropRepeatOfSuffix,
  dropBlank,
];

export function postprocess(text: string, ctx: PostContext): string {
  return PIPELINE.reduce((t, step) => step(t, ctx), text);
}
