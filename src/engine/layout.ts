// Turns (prefix, suffix) into the model's context: <fim_suffix> SUFFIX <fim_prefix> PREFIX
// <fim_middle>, keeping the text nearest the cursor within the token budget. The prefix window
// is sticky: while the user types, its start stays put so the cached context stays valid.
// Also rejects binary text and prepares token healing for a cursor inside a word.
import { EngineError } from '../protocol';
import { Manifest } from './manifest';
import { CodeTokenizer } from './tokenizer';

export interface Context {
  ids: number[];
  /** Text of the dropped last prefix token that the middle must start with ('' if none). */
  heal: string;
  prefixTokens: number;
  suffixTokens: number;
}

/** Remembers where the last prefix window started. */
export class WindowMemory {
  head = '';
}

const CHARS_PER_TOKEN_MAX = 8;

export function looksBinary(s: string): boolean {
  if (s.includes('\u0000')) return true;
  const n = Math.min(s.length, 4096);
  let ctl = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c < 9 || (c > 13 && c < 32)) && c !== 27) ctl++;
  }
  return n > 0 && ctl / n > 0.05;
}

function fitSuffix(tok: CodeTokenizer, suffix: string, max: number): number[] {
  let s = suffix.slice(0, max * CHARS_PER_TOKEN_MAX);
  let ids = tok.encode(s);
  while (ids.length > max) {
    const cut = s.lastIndexOf('\n', s.length - 2);
    s = cut > 0 ? s.slice(0, cut + 1) : s.slice(0, Math.floor(s.length * 0.8));
    ids = tok.encode(s);
  }
  return ids;
}

function freshWindow(tok: CodeTokenizer, prefix: string, budget: number): string {
  const target = Math.max(1, Math.floor(budget * 0.8));
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

export function buildContext(
  tok: CodeTokenizer,
  m: Manifest,
  prefix: string,
  suffix: string,
  middleBudget: number,
  memory: WindowMemory,
  heal = true,
): Context {
  if (looksBinary(prefix) || looksBinary(suffix)) throw new EngineError('badRequest', 'refusing binary content');
  const sp = m.special_tokens;
  const sufIds = fitSuffix(tok, suffix, m.max_suffix);
  const budget = m.max_context - middleBudget - 3 - sufIds.length;
  if (budget < 8) throw new EngineError('badRequest', `maxTokens ${middleBudget} leaves no room for context`);
  let window: string | undefined;
  if (memory.head) {
    const from = Math.max(0, prefix.length - budget * CHARS_PER_TOKEN_MAX);
    const idx = prefix.indexOf(memory.head, from);
    if (idx >= 0) {
      const w = prefix.slice(idx);
      if (tok.encode(w).length <= budget) window = w;
    }
  }
  if (window === undefined) window = freshWindow(tok, prefix, budget);
  memory.head = window.slice(0, 48);
  let preIds = tok.encode(window);
  let healText = '';
  if (heal && preIds.length > 1) {
    const last = tok.pieces[preIds[preIds.length - 1]];
    if (last && /^[ \t]?[A-Za-z0-9_]+$/.test(last) && /[A-Za-z0-9_]$/.test(window)) {
      healText = last;
      preIds = preIds.slice(0, -1);
    }
  }
  const ids = [sp.fim_suffix, ...sufIds, sp.fim_prefix, ...preIds, sp.fim_middle];
  return { ids, heal: healText, prefixTokens: preIds.length, suffixTokens: sufIds.length };
}

/** Every token except the special ones; <eom> stays allowed. */
export function outputMask(m: Manifest): Uint8Array {
  const allowed = new Uint8Array(m.architecture.vocab_size).fill(1);
  for (const [name, id] of Object.entries(m.special_tokens)) if (name !== 'eom') allowed[id] = 0;
  return allowed;
}

/** The allowed tokens whose text starts with `heal` (the first middle token must be one). */
export function healMask(tok: CodeTokenizer, heal: string, base: Uint8Array): Uint8Array | undefined {
  if (!heal) return undefined;
  const allowed = new Uint8Array(tok.vocabSize);
  tok.pieces.forEach((p, i) => {
    if (base[i] && p.startsWith(heal)) allowed[i] = 1;
  });
  return allowed;
}
