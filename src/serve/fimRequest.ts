// The FIM completions request `serve` accepts (the shape of Mercury's and Codestral's
// POST /v1/fim/completions): prompt (required), suffix, max_tokens, stream, stop, model,
// diffusing. Validation returns one clear message for a 400; unknown fields are ignored.
import { InfillParams } from '../protocol';

export interface FimRequest {
  params: InfillParams;
  stream: boolean;
  /** Stream every denoising state as the whole text so far, not deltas. */
  diffusing: boolean;
  model?: string;
  /** Stop strings other than a newline (a newline selects single-line mode); the text is cut at them. */
  stop: string[];
}

export type Parsed = { ok: true; req: FimRequest } | { ok: false; error: string };

export function parseFimRequest(body: unknown, maxTokensLimit: number): Parsed {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'the body must be a JSON object' };
  const o = body as Record<string, unknown>;
  if (typeof o.prompt !== 'string') return { ok: false, error: '"prompt" is required and must be a string' };
  if (o.suffix !== undefined && o.suffix !== null && typeof o.suffix !== 'string') return { ok: false, error: '"suffix" must be a string' };
  const mt = o.max_tokens;
  if (mt !== undefined && mt !== null && (typeof mt !== 'number' || !Number.isInteger(mt) || mt < 1 || mt > maxTokensLimit)) {
    return { ok: false, error: `"max_tokens" must be an integer in [1, ${maxTokensLimit}]` };
  }
  for (const k of ['stream', 'diffusing'] as const) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'boolean') return { ok: false, error: `"${k}" must be a boolean` };
  }
  if (o.model !== undefined && o.model !== null && typeof o.model !== 'string') return { ok: false, error: '"model" must be a string' };
  const stops = o.stop === undefined || o.stop === null ? [] : typeof o.stop === 'string' ? [o.stop] : o.stop;
  if (!Array.isArray(stops) || !stops.every((s) => typeof s === 'string' && s.length > 0)) return { ok: false, error: '"stop" must be a string or an array of non-empty strings' };
  const single = stops.includes('\n');
  return {
    ok: true,
    req: {
      params: {
        prefix: o.prompt,
        suffix: typeof o.suffix === 'string' ? o.suffix : '',
        maxTokens: typeof mt === 'number' ? mt : undefined,
        mode: single ? 'single' : 'multi',
      },
      stream: o.stream === true,
      diffusing: o.diffusing === true,
      model: typeof o.model === 'string' ? o.model : undefined,
      stop: stops.filter((s) => s !== '\n'),
    },
  };
}

/** The text cut at the first stop string. */
export function applyStops(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}
