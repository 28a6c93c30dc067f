// Ollama: POST {base}/api/generate with model, prompt, suffix, stream, think, keep_alive and
// options (num_predict, stop). Ollama fills its insert template only when `suffix` is not empty;
// at the end of a document (no suffix) the prefix is sent `raw`, continued as it is, rather than
// wrapped as a chat message. `think: false` keeps a thinking model from reasoning before it
// completes. The answer is NDJSON when streaming: lines {model, created_at, response, done}, the
// last with done: true, done_reason ("stop" or "length") and eval_count; an {error} line reports a
// failure once the stream has begun. Sources: docs/remote-engines.md.
import { REMOTE } from '../../defaults';
import { errorMessage } from '../errorBody';
import { MalformedPayload, object, optionalNumber, ReportedError, WireChunk, WireKind, WireRequest } from './wire';

export const ollama: WireKind = {
  path: '/api/generate',
  framing: 'ndjson',
  body(r: WireRequest) {
    return {
      model: r.model,
      prompt: r.prompt,
      ...(r.suffix ? { suffix: r.suffix } : { raw: true }),
      stream: r.stream,
      think: false,
      keep_alive: REMOTE.ollamaKeepAlive,
      options: { num_predict: r.maxTokens, ...(r.stop ? { stop: r.stop } : {}) },
    };
  },
  parse(payload: unknown): WireChunk {
    const o = object(payload, 'the response');
    if (o.error !== undefined) throw new ReportedError(errorMessage(o) ?? JSON.stringify(o.error));
    if (typeof o.response !== 'string' || typeof o.done !== 'boolean') throw new MalformedPayload('the response lacks "response" or "done"');
    const reason = typeof o.done_reason === 'string' ? o.done_reason : undefined;
    return { text: o.response, finished: o.done, finishReason: reason, tokens: optionalNumber(o.eval_count) };
  },
};
