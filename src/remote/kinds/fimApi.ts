// The FIM completions shape of Mercury (Inception), Codestral and `diffusion-coder serve`:
// POST {base}/fim/completions with model, prompt, suffix, max_tokens, stream, stop; the answer
// (or each SSE event, ending with `data: [DONE]`) is {choices: [{index, text, finish_reason}],
// usage?}; a usage-only event may come with empty choices. Mercury also takes `diffusing`
// (streamed intermediate diffusion states, each the whole text so far).
import { MalformedPayload, object, optionalNumber, WireChunk, WireKind, WireRequest } from './wire';

export function fimApi(diffusing: boolean): WireKind {
  return {
    path: '/fim/completions',
    framing: 'sse',
    body(r: WireRequest) {
      return {
        ...(r.model ? { model: r.model } : {}),
        prompt: r.prompt,
        suffix: r.suffix,
        max_tokens: r.maxTokens,
        stream: r.stream,
        ...(r.stop ? { stop: r.stop } : {}),
        ...(diffusing && r.stream ? { diffusing: true } : {}),
      };
    },
    parse(payload: unknown): WireChunk {
      const o = object(payload, 'the response');
      if (!Array.isArray(o.choices)) throw new MalformedPayload('the response has no "choices" array');
      const usage = o.usage === undefined || o.usage === null ? undefined : object(o.usage, '"usage"');
      const tokens = optionalNumber(usage?.completion_tokens);
      if (o.choices.length === 0) return { text: '', tokens };
      const c = object(o.choices[0], 'choices[0]');
      if (typeof c.text !== 'string') throw new MalformedPayload('choices[0].text is not a string');
      const reason = typeof c.finish_reason === 'string' ? c.finish_reason : undefined;
      return { text: c.text, replace: diffusing, finished: reason !== undefined, finishReason: reason, tokens };
    },
  };
}
