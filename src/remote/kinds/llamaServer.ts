// llama.cpp's llama-server: POST {base}/infill with input_prefix, input_suffix, prompt and the
// /completion options. As llama.vscode and llama.vim do, the prefix is split at its last newline:
// whole lines go in input_prefix and the cursor line's start in `prompt` (placed after FIM_MID),
// so that with cache_prompt the server reuses its KV cache for everything but the cursor line
// while the user types on it. n_indent (the cursor line's indentation) stops the middle at a line
// indented less; t_max_predict_ms stops a long generation at its next newline. input_extra (other
// files' chunks) is left out: the editor sends no other files. The answer, or each SSE `data:`
// event (no [DONE]; the last has stop: true), is {content, stop, stop_type?, tokens_predicted?};
// `data: {"error": {code, message, type}}` reports a failure once the stream has begun.
// Sources: docs/remote-engines.md.
import { REMOTE } from '../../defaults';
import { errorMessage } from '../errorBody';
import { MalformedPayload, object, optionalNumber, ReportedError, WireChunk, WireKind, WireRequest } from './wire';

export const llamaServer: WireKind = {
  path: '/infill',
  framing: 'sse',
  body(r: WireRequest) {
    const lineStart = r.prompt.lastIndexOf('\n') + 1;
    const cursorLine = r.prompt.slice(lineStart) + r.suffix.split('\n', 1)[0];
    const indent = /^[ \t]*/.exec(cursorLine)![0].length;
    return {
      input_prefix: r.prompt.slice(0, lineStart),
      input_suffix: r.suffix,
      prompt: r.prompt.slice(lineStart),
      n_predict: r.maxTokens,
      stream: r.stream,
      cache_prompt: true,
      t_max_predict_ms: REMOTE.llamaServerMaxPredictMs,
      ...(indent > 0 ? { n_indent: indent } : {}),
      ...(r.stop ? { stop: r.stop } : {}),
    };
  },
  parse(payload: unknown): WireChunk {
    const o = object(payload, 'the response');
    if (o.error !== undefined) throw new ReportedError(errorMessage(o) ?? JSON.stringify(o.error));
    if (typeof o.content !== 'string') throw new MalformedPayload('the response has no "content" string');
    const finished = o.stop === true;
    const reason = typeof o.stop_type === 'string' ? o.stop_type : undefined;
    return { text: o.content, finished, finishReason: reason, tokens: optionalNumber(o.tokens_predicted) };
  },
};
