// What each remote API really sends, for the scripted servers of the remote engine's tests: every
// builder names its primary source beside it (docs/remote-engines.md lists them with URLs).
// Field order and the extra fields the engine ignores (ids, timings, context) are kept, so a
// parser that leans on an absent field or chokes on a present one fails here.

export const sse = (o: unknown) => `data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`;
export const ndjson = (o: unknown) => `${JSON.stringify(o)}\n`;

/** OpenAI-style text completion chunk as `diffusion-coder serve` sends it (src/serve/fimResponse.ts).
 * Mercury: assumed the same (`choices[0].text`, as Inception's clients read it); Inception's own
 * API reference could not be read from here. */
export const textChunk = (text: string, finish: string | null = null) => ({
  id: 'cmpl-1',
  object: 'text_completion',
  created: 1_700_000_000,
  model: 'm',
  choices: [{ index: 0, text, finish_reason: finish }],
});

/** Mistral FIM, streamed: CompletionChunk {id, object, created, model, usage?, choices:
 * [CompletionResponseStreamChoice {index, delta: DeltaMessage {role?, content}, finish_reason}]},
 * then `data: [DONE]`. Source: mistralai/client-python docs/models/completionchunk.md,
 * completionresponsestreamchoice.md, deltamessage.md; fim.py (sentinel "[DONE]"). */
export const mistralChunk = (content: string, finish: string | null = null, usage?: object) => ({
  id: 'cmpl-e5cc70bb28c444948073e77776eb30ef',
  object: 'chat.completion.chunk',
  created: 1_702_256_327,
  model: 'codestral-latest',
  choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: finish }],
  ...(usage ? { usage } : {}),
});

/** Mistral FIM, not streamed: FIMCompletionResponse {id, object: "chat.completion", model, usage,
 * created, choices: [ChatCompletionChoice {index, message: {role, content}, finish_reason}]}.
 * Source: mistralai/client-python docs/models/fimcompletionresponse.md, chatcompletionchoice.py. */
export const mistralResponse = (content: string, finish: string, completionTokens: number) => ({
  id: 'cmpl-e5cc70bb28c444948073e77776eb30ef',
  object: 'chat.completion',
  model: 'codestral-latest',
  usage: { prompt_tokens: 12, completion_tokens: completionTokens, total_tokens: 12 + completionTokens },
  created: 1_702_256_327,
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
});

/** Mistral's 422: HTTPValidationError {detail: [ValidationError {loc, msg, type}]}.
 * Source: mistralai/client-python errors/httpvalidationerror.py, docs/models/validationerror.md. */
export const mistral422 = { detail: [{ loc: ['body', 'max_tokens'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' }] };

/** Ollama /api/generate, streamed (application/x-ndjson): lines {model, created_at, response, done};
 * the last has done: true, done_reason, context and the counts. Source: ollama/ollama docs/api.md
 * ("Generate a completion"), docs/api/streaming.mdx; done_reason "stop" | "length" from
 * llm/server.go DoneReason.String(). */
export const ollamaLine = (response: string) => ({ model: 'qwen2.5-coder:1.5b', created_at: '2024-07-22T20:47:51.147561Z', response, done: false });
export const ollamaFinal = (doneReason: 'stop' | 'length', evalCount: number) => ({
  model: 'qwen2.5-coder:1.5b',
  created_at: '2024-07-22T20:47:51.147561Z',
  response: '',
  done: true,
  done_reason: doneReason,
  context: [1, 2, 3],
  total_duration: 1_162_761_250,
  load_duration: 6_683_708,
  prompt_eval_count: 17,
  prompt_eval_duration: 201_222_000,
  eval_count: evalCount,
  eval_duration: 953_997_000,
});

/** Ollama's error body, before a stream and as a line inside one: {"error": "..."}.
 * Source: ollama/ollama docs/api/errors.mdx; server/routes.go GenerateHandler (404 "model '%s' not found"). */
export const ollamaError = (error: string) => ({ error });

/** llama-server /infill, streamed: `data: {...}` events, "only content, tokens and stop ... until end
 * of completion"; the last has stop: true, stop_type, tokens_predicted and timings (and, streamed,
 * an empty content); no [DONE] for this non-OAI endpoint. Source: ggml-org/llama.cpp
 * tools/server/README.md (POST /completion "Response format", POST /infill); tools/server/server.cpp
 * handle_completions_impl (res_type NONE ends the stream with no [DONE]). */
export const llamaPartial = (content: string) => ({ index: 0, content, tokens: [], stop: false, id_slot: 0, tokens_predicted: 1, tokens_evaluated: 20 });
export const llamaFinal = (stopType: 'eos' | 'limit' | 'word', tokensPredicted: number, content = '') => ({
  index: 0,
  content,
  tokens: [],
  id_slot: 0,
  stop: true,
  model: 'qwen2.5-coder-1.5b',
  tokens_predicted: tokensPredicted,
  tokens_evaluated: 20,
  has_new_line: false,
  truncated: false,
  stop_type: stopType,
  stopping_word: '',
  tokens_cached: 19,
  timings: { prompt_n: 1, prompt_ms: 2.1, predicted_n: tokensPredicted, predicted_ms: 30.5 },
});

/** llama-server's error: {"error": {code, message, type}}, as the body of a failed request and, once a
 * stream has begun, as one `data:` event that ends it. Source: ggml-org/llama.cpp tools/server/README.md
 * (GET /health 503 body); server-common.cpp format_error_response; server.cpp handle_completions_impl
 * (`format_oai_sse(json {{ "error", res_json }})`). */
export const llamaError = (code: number, message: string, type: string) => ({ error: { code, message, type } });
