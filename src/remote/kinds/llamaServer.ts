// llama.cpp's llama-server: POST {base}/infill with input_prefix, input_suffix and the /completion
// options (n_predict, stream, stop, cache_prompt); the answer, or each SSE `data:` event, is
// {content, stop, stop_type?, tokens_predicted?}.
import { MalformedPayload, object, optionalNumber, WireChunk, WireKind, WireRequest } from './wire';

export const llamaServer: WireKind = {
  path: '/infill',
  framing: 'sse',
  body(r: WireRequest) {
    return {
      input_prefix: r.prompt,
      input_suffix: r.suffix,
      n_predict: r.maxTokens,
      stream: r.stream,
      cache_prompt: true,
      ...(r.stop ? { stop: r.stop } : {}),
    };
  },
  parse(payload: unknown): WireChunk {
    const o = object(payload, 'the response');
    if (typeof o.content !== 'string') throw new MalformedPayload('the response has no "content" string');
    const finished = o.stop === true;
    const reason = typeof o.stop_type === 'string' ? o.stop_type : undefined;
    return { text: o.content, finished, finishReason: reason, tokens: optionalNumber(o.tokens_predicted) };
  },
};
