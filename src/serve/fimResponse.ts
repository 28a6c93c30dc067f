// The FIM completions answer `serve` gives, as an OpenAI-style text completion: one JSON object,
// or server-sent events of chunks (`choices[0].text` a delta, or with `diffusing` the whole text
// so far), the last with finish_reason and usage, then `data: [DONE]`.
import { InfillResult, StepEvent } from '../protocol';

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export function finishReason(r: InfillResult): string {
  return r.stopReason === 'maxTokens' || r.stopReason === 'contextFull' ? 'length' : 'stop';
}

export function completion(id: string, model: string, text: string, reason: string | null, r?: InfillResult): Completion {
  return {
    id,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, text, finish_reason: reason }],
    ...(r ? { usage: { prompt_tokens: r.prefillTokens, completion_tokens: r.tokens, total_tokens: r.prefillTokens + r.tokens } } : {}),
  };
}

/** A special token's piece (<eom>, <|eom|>, <mask>): never part of the text. */
const SPECIAL = /^<[^<>\s]+>$/;

export const sseEvent = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/**
 * The text of a step that is safe to stream as deltas: the committed tokens up to the first
 * masked position, stopping before a piece that is not text yet (part of a UTF-8 character) or a
 * special token; in single-line mode before the first newline. The rest comes with the result.
 */
export function streamableText(step: StepEvent, singleLine: boolean): string {
  let text = '';
  for (const t of step.tokens) {
    if (t === null || t.includes('\uFFFD') || SPECIAL.test(t)) break;
    text += t;
  }
  if (singleLine) {
    const nl = text.indexOf('\n');
    if (nl >= 0) text = text.slice(0, nl);
  }
  return text;
}

/** A denoising state as text: committed tokens, masked positions and special tokens left out. */
export const stateText = (step: StepEvent) => step.tokens.map((t) => (t === null || SPECIAL.test(t) ? '' : t)).join('');
