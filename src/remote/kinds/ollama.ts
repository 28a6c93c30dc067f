// Ollama: POST {base}/api/generate with model, prompt, suffix, stream and options (num_predict,
// stop); the answer is NDJSON when streaming, each line {response, done, done_reason?,
// eval_count?}; an {error} line reports a failure mid-stream.
import { MalformedPayload, object, optionalNumber, WireChunk, WireKind, WireRequest } from './wire';

export const ollama: WireKind = {
  path: '/api/generate',
  framing: 'ndjson',
  body(r: WireRequest) {
    return {
      model: r.model,
      prompt: r.prompt,
      suffix: r.suffix,
      stream: r.stream,
      options: { num_predict: r.maxTokens, ...(r.stop ? { stop: r.stop } : {}) },
    };
  },
  parse(payload: unknown): WireChunk {
    const o = object(payload, 'the response');
    if (typeof o.error === 'string') throw new MalformedPayload(`the server reported: ${o.error}`);
    if (typeof o.response !== 'string' || typeof o.done !== 'boolean') throw new MalformedPayload('the response lacks "response" or "done"');
    const reason = typeof o.done_reason === 'string' ? o.done_reason : undefined;
    return { text: o.response, finished: o.done, finishReason: reason, tokens: optionalNumber(o.eval_count) };
  },
};
