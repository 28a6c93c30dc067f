// Turns (prefix, suffix) into the model's context in its layout (SPM: <fim_suffix> SUFFIX
// <fim_prefix> PREFIX <fim_middle>; natural: PREFIX, the middle, SUFFIX), keeping the text
// nearest the cursor within the token budget. The prefix window is sticky: while the user types, its start stays put so the cached context stays valid.
// Also rejects binary text and prepares token healing for a cursor inside a word or right after a
// line break.
import { looksBinary } from '../binaryText';
import { EngineError } from '../protocol';
import { Manifest } from './manifest';
import { CodeTokenizer } from './tokenizer';

export interface Context {
  ids: number[];
  /** Token healing: text of the dropped last prefix token, which the middle must start with ('' if none). */
  healed: string;
  prefixTokens: number;
  suffixTokens: number;
  /** Natural layout: the suffix's tokens, which come after the middle. */
  tail?: number[];
}

/** Remembers where the last prefix window started, so the next one can start there too. */
export class WindowMemory {
  /** The sticky window's anchor: its first ANCHOR_CHARS characters ('' before the first request). */
  anchor = '';
}

/**
 * An upper bound on characters per token, used to slice text before encoding it: code averages
 * 3 characters per token in our tokenizer (the densest 20-line window of this repository's
 * sources: 4), so `tokens * 8` characters always hold more than `tokens` tokens.
 */
const CHARS_PER_TOKEN_MAX = 8;
/** A fresh prefix window fills 80 % of its budget: the other 20 % let it grow while the user types before it must be cut again. */
const FRESH_WINDOW_FILL = 0.8;
/** Long enough that the anchor is found again only where the window started (a line rarely repeats for 48 characters). */
const ANCHOR_CHARS = 48;
/** <fim_suffix>, <fim_prefix> and <fim_middle>. */
const FIM_TOKENS = 3;
/** A prefix window under 8 tokens is no context to decode from: refuse instead. */
const MIN_PREFIX_TOKENS = 8;

function fitSuffix(tok: CodeTokenizer, suffix: string, max: number): number[] {
  let s = suffix.slice(0, max * CHARS_PER_TOKEN_MAX);
  let ids = tok.encode(s);
  while (ids.length > max) {
    const cut = s.lastIndexOf('\n', s.length - 2);
    // drop the last line; one line over the budget loses a fifth of its characters per round
    s = cut > 0 ? s.slice(0, cut + 1) : s.slice(0, Math.floor(s.length * 0.8));
    ids = tok.encode(s);
  }
  return ids;
}

function freshWindow(tok: CodeTokenizer, prefix: string, budget: number): string {
  const target = Math.max(1, Math.floor(budget * FRESH_WINDOW_FILL));
  let start = Math.max(0, prefix.length - target * CHARS_PER_TOKEN_MAX);
  if (start > 0) {
    const nl = prefix.indexOf('\n', start);
    if (nl >= 0 && nl < prefix.length - 1) start = nl + 1;
  }
  let w = prefix.slice(start);
  let n = tok.encode(w).length;
  while (n > target && w.length > 1) {
    const drop = Math.max(1, Math.floor(((n - target) * w.length) / n));
    const nl = w.indexOf('\n', drop);
    w = nl >= 0 && nl < w.length - 1 ? w.slice(nl + 1) : w.slice(drop);
    n = tok.encode(w).length;
  }
  return w;
}

/** The prefix window nearest the cursor within `budget` tokens, sticky across requests, with token healing. */
function prefixWindow(tok: CodeTokenizer, prefix: string, budget: number, memory: WindowMemory): { ids: number[]; healed: string } {
  let window: string | undefined;
  if (memory.anchor) {
    // only where a window of at most `budget` tokens can start
    const from = Math.max(0, prefix.length - budget * CHARS_PER_TOKEN_MAX);
    const idx = prefix.indexOf(memory.anchor, from);
    if (idx >= 0) {
      const w = prefix.slice(idx);
      if (tok.encode(w).length <= budget) window = w;
    }
  }
  if (window === undefined) window = freshWindow(tok, prefix, budget);
  memory.anchor = window.slice(0, ANCHOR_CHARS);
  const ids = tok.encode(window);
  if (ids.length > 1) {
    const last = tok.pieces[ids[ids.length - 1]];
    // a word cut by the cursor, or a bare line break (the cursor at a line's start, no indentation
    // typed): the model picks the whole token, the line break with the next line's indentation
    if (last && ((/^[ \t]?[A-Za-z0-9_]+$/.test(last) && /[A-Za-z0-9_]$/.test(window)) || last === '\n')) return { ids: ids.slice(0, -1), healed: last };
  }
  return { ids, healed: '' };
}

/**
 * The context of a request in the manifest's layout: `spm` is `<fim_suffix> S <fim_prefix> P
 * <fim_middle>` (the middle follows); `natural` is `[bos] P` with the suffix as `tail`, placed
 * after the middle by the runner.
 */
export function buildContext(
  tok: CodeTokenizer,
  m: Manifest,
  prefix: string,
  suffix: string,
  middleBudget: number,
  memory: WindowMemory,
): Context {
  if (looksBinary(prefix) || looksBinary(suffix)) throw new EngineError('badRequest', 'refusing binary content');
  const sp = m.special_tokens;
  const sufIds = fitSuffix(tok, suffix, m.max_suffix);
  const head = m.layout === 'spm' ? [sp.fim_suffix as number, ...sufIds, sp.fim_prefix as number] : sp.bos !== undefined ? [sp.bos] : [];
  const extra = m.layout === 'spm' ? FIM_TOKENS + sufIds.length : head.length + sufIds.length;
  const budget = m.max_context - middleBudget - extra;
  if (budget < MIN_PREFIX_TOKENS) throw new EngineError('badRequest', `maxTokens ${middleBudget} leaves no room for context`);
  const pre = prefixWindow(tok, prefix, budget, memory);
  const base = { healed: pre.healed, prefixTokens: pre.ids.length, suffixTokens: sufIds.length };
  if (m.layout === 'spm') return { ...base, ids: [...head, ...pre.ids, sp.fim_middle as number] };
  return { ...base, ids: [...head, ...pre.ids], tail: sufIds };
}

/** Every token except the special ones and the other stop tokens; <eom> stays allowed. */
export function outputMask(m: Manifest): Uint8Array {
  const allowed = new Uint8Array(m.architecture.vocab_size).fill(1);
  for (const [name, id] of Object.entries(m.special_tokens)) if (name !== 'eom' && id !== undefined) allowed[id] = 0;
  for (const id of m.stop_tokens ?? []) allowed[id] = 0;
  allowed[m.special_tokens.eom] = 1;
  return allowed;
}

/** The allowed tokens whose text starts with `healed` (the first middle token must be one). */
export function healMask(tok: CodeTokenizer, healed: string, base: Uint8Array): Uint8Array | undefined {
  if (!healed) return undefined;
  const allowed = new Uint8Array(tok.vocabSize);
  tok.pieces.forEach((p, i) => {
    if (base[i] && p.startsWith(healed)) allowed[i] = 1;
  });
  return allowed;
}
