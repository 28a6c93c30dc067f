// The FIM completions shape of Mercury (Inception), Codestral (Mistral) and `diffusion-coder serve`:
// POST {base}/fim/completions with model, prompt, suffix, max_tokens, stream, stop. The answer (or
// each SSE event, ending with `data: [DONE]`) has `choices[0]` and an optional `usage`; a choice
// carries its text as OpenAI text completions do (`text`: Mercury, serve) or chat-shaped as
// Mistral's FIMCompletionResponse and CompletionChunk do (`message.content`, or `delta.content`
// when streamed, a string or a list of text chunks). A usage-only event may come with empty
// choices. Mercury also takes `diffusing`: streamed intermediate diffusion states, each the whole
// text so far. Sources and what could not be confirmed: docs/remote-engines.md.
import { MalformedPayload, object, optionalNumber, ReportedError, WireChunk, WireKind, WireRequest } from './wire';

/** A choice's text: `text`, or the content of `delta` / `message`. */
function choiceText(c: Record<string, unknown>): string {
  if (typeof c.text === 'string') return c.text;
  const m = c.delta ?? c.message;
  if (m === undefined || m === null) throw new MalformedPayload('choices[0] has no "text", "delta" or "message"');
  const content = object(m, c.delta !== undefined ? 'choices[0].delta' : 'choices[0].message').content;
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  throw new MalformedPayload('the choice\'s "content" is neither a string nor a list of chunks');
}

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
      const reason = typeof c.finish_reason === 'string' ? c.finish_reason : undefined;
      if (reason === 'error') throw new ReportedError('the generation failed (finish_reason "error")');
      return { text: choiceText(c), replace: diffusing, finished: reason !== undefined, finishReason: reason, tokens };
    },
  };
}
