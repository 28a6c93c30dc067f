// Validates one input line of `infill --jsonl` the way the flags are validated; every error
// names the 1-based input line (pure, unit-tested).
import { InfillMode } from '../protocol';
import { MODES } from './args';

export type JsonlId = string | number | null;

export type JsonlRequest =
  | { ok: true; id: JsonlId; prefix: string; suffix: string; maxTokens?: number; mode?: InfillMode }
  | { ok: false; id: JsonlId; line: number; error: string };

const FIELDS = ['id', 'prefix', 'suffix', 'maxTokens', 'mode'];

/** One JSON object {"id"?, "prefix", "suffix", "maxTokens"?, "mode"?}; maxTokens in [1, maxTokensLimit]. */
export function parseJsonlLine(text: string, line: number, maxTokensLimit: number): JsonlRequest {
  let req: unknown;
  try {
    req = JSON.parse(text);
  } catch (e) {
    return { ok: false, id: null, line, error: `line ${line}: invalid JSON (${(e as Error).message})` };
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    return { ok: false, id: null, line, error: `line ${line}: expected a JSON object` };
  }
  const o = req as Record<string, unknown>;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? o.id : null;
  const fail = (msg: string): JsonlRequest => ({ ok: false, id, line, error: `line ${line}: ${msg}` });
  const unknown = Object.keys(o).filter((k) => !FIELDS.includes(k));
  if (unknown.length) return fail(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${FIELDS.join(', ')})`);
  if (o.id !== undefined && id === null && o.id !== null) return fail('id must be a string or a number');
  if (typeof o.prefix !== 'string' || typeof o.suffix !== 'string') return fail('prefix and suffix must be strings');
  const { maxTokens, mode } = o;
  if (maxTokens !== undefined && !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= maxTokensLimit)) {
    return fail(`maxTokens must be an integer in [1, ${maxTokensLimit}] (the model's limit), got ${JSON.stringify(maxTokens)}`);
  }
  if (mode !== undefined && !MODES.includes(mode as InfillMode)) return fail(`mode must be single, multi or auto, got ${JSON.stringify(mode)}`);
  return { ok: true, id, prefix: o.prefix, suffix: o.suffix, maxTokens: maxTokens as number | undefined, mode: mode as InfillMode | undefined };
}
