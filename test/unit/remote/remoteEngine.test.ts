// The remote engine against scripted local servers, one per kind, replaying each API's real
// shapes (apiShapes.ts, each with its primary source): SSE framing, `[DONE]`, usage-only chunks,
// diffusion states, Mistral's chat-shaped choices, NDJSON with Ollama's final `done: true` line,
// llama-server's last event with `stop: true` and no [DONE], each API's error body before and
// inside a stream, 401, 429 with Retry-After, 5xx, a malformed line, a stalled stream, cancel,
// supersede.
import * as assert from 'assert';
import { REMOTE } from '../../../src/defaults';
import { RemoteKind } from '../../../src/remote/kinds';
import { RemoteEngine, RemoteEngineOptions } from '../../../src/remote/remoteEngine';
import { RemoteError } from '../../../src/remote/remoteError';
import { EngineError, StepEvent } from '../../../src/protocol';
import { llamaError, llamaFinal, llamaPartial, mistral422, mistralChunk, mistralResponse, ndjson, ollamaError, ollamaFinal, ollamaLine, sse, textChunk } from './apiShapes';
import { FakeServer, fakeServer, trickle } from './fakeServer';

const REQ = { prefix: 'def add(a, b):\n    return ', suffix: '\n', mode: 'multi' as const, maxTokens: 32 };
const choice = textChunk;

async function rejects(p: Promise<unknown>, failure: RemoteError['failure'], message?: RegExp): Promise<RemoteError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RemoteError, `expected a RemoteError, got ${e}`);
    assert.strictEqual(e.failure, failure, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  throw new Error('expected a rejection');
}

describe('remote engine', function () {
  this.timeout(10000);
  let fake: FakeServer;
  before(async () => (fake = await fakeServer()));
  after(() => fake.close());
  beforeEach(() => (fake.received = []));

  const engineOf = (kind: RemoteKind, o: Partial<RemoteEngineOptions> = {}) =>
    new RemoteEngine({ kind, baseUrl: fake.url + (kind === 'mercury' || kind === 'fim-api' ? '/v1' : ''), model: REMOTE.models[kind], ...o });

  const engine = engineOf;

  // Mercury's chunks are assumed to be OpenAI text completion chunks (apiShapes.textChunk); Inception's
  // own reference for the FIM endpoint and `diffusing` could not be read (docs/remote-engines.md).
  describe('mercury (Inception FIM API)', () => {
    it('sends every documented field with the bearer key, and shows the diffusion states as steps', async () => {
      fake.script = (_q, res) =>
        void trickle(res, [sse(choice('x + ')), sse(choice('a + b')), sse(choice('a + b', 'stop')), sse({ id: 'c', choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } }), sse('[DONE]')], 'text/event-stream');
      const steps: StepEvent[] = [];
      const r = await engine('mercury', { apiKey: 'sk-test' }).infill(REQ, { onStep: (s) => steps.push(s) });
      const q = fake.received[0];
      assert.strictEqual(q.method, 'POST');
      assert.strictEqual(q.url, '/v1/fim/completions');
      assert.strictEqual(q.headers.authorization, 'Bearer sk-test');
      assert.deepStrictEqual(q.body, { model: 'mercury-coder', prompt: REQ.prefix, suffix: '\n', max_tokens: 32, stream: true, diffusing: true });
      assert.deepStrictEqual(steps.map((s) => s.tokens), [['x + '], ['a + b'], ['a + b']]);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 4);
      assert.strictEqual(r.stopReason, 'eom');
    });

    it('refuses to send anything without an API key', async () => {
      await rejects(engine('mercury').infill(REQ), 'config', /Set API Key/);
      assert.strictEqual(fake.received.length, 0);
    });
  });

  describe('fim-api: diffusion-coder serve (OpenAI text completion chunks)', () => {
    it('streams deltas, leaves out an empty model and diffusing, and maps "length" to maxTokens', async () => {
      fake.script = (_q, res) => void trickle(res, ['data: ', JSON.stringify(choice('a ')) + '\n', '\n', sse(choice('+ b', 'length')), sse('[DONE]')], 'text/event-stream');
      const steps: StepEvent[] = [];
      const r = await engine('fim-api').infill(REQ, { onStep: (s) => steps.push(s) });
      assert.deepStrictEqual(fake.received[0].body, { prompt: REQ.prefix, suffix: '\n', max_tokens: 32, stream: true });
      assert.strictEqual(fake.received[0].headers.authorization, undefined);
      assert.deepStrictEqual(steps.map((s) => s.tokens), [['a '], ['a ', '+ b']]);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.stopReason, 'maxTokens');
    });

    it('reads a non-streamed answer, and a single line asks for stop ["\\n"] and is cut there', async () => {
      fake.script = (_q, res) => res.end(JSON.stringify({ ...choice('a + b\nmore', 'stop'), usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }));
      const r = await engine('fim-api', { model: 'dcoder-17m' }).infill({ ...REQ, mode: 'single' });
      assert.deepStrictEqual(fake.received[0].body, { model: 'dcoder-17m', prompt: REQ.prefix, suffix: '\n', max_tokens: 32, stream: false, stop: ['\n'] });
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 5);
    });
  });

  describe('fim-api: Codestral (Mistral chat-shaped choices)', () => {
    it('streams delta.content chunks, the finish, a usage chunk, then [DONE]', async () => {
      fake.script = (_q, res) =>
        void trickle(res, [sse(mistralChunk('a')), sse(mistralChunk(' + b')), sse(mistralChunk('', 'stop', { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 })), sse('[DONE]')], 'text/event-stream');
      const steps: StepEvent[] = [];
      const r = await engine('fim-api', { model: 'codestral-latest', apiKey: 'k' }).infill(REQ, { onStep: (s) => steps.push(s) });
      assert.deepStrictEqual(fake.received[0].body, { model: 'codestral-latest', prompt: REQ.prefix, suffix: '\n', max_tokens: 32, stream: true });
      assert.deepStrictEqual(steps.map((s) => s.tokens), [['a'], ['a', ' + b']]);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 3);
      assert.strictEqual(r.stopReason, 'eom');
    });

    it('reads message.content (a string or text chunks) and maps "model_length" to maxTokens', async () => {
      fake.script = (_q, res) => res.end(JSON.stringify(mistralResponse('a + b', 'model_length', 4)));
      const r = await engine('fim-api', { model: 'codestral-latest' }).infill(REQ);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 4);
      assert.strictEqual(r.stopReason, 'maxTokens');
      const chunks = mistralResponse('', 'stop', 2);
      chunks.choices[0].message.content = [{ type: 'text', text: 'a +' }, { type: 'text', text: ' b' }] as unknown as string;
      fake.script = (_q, res) => res.end(JSON.stringify(chunks));
      assert.strictEqual((await engine('fim-api', { model: 'codestral-latest' }).infill(REQ)).text, 'a + b');
    });

    it("reports Mistral's 422 detail and a finish_reason \"error\"", async () => {
      fake.script = (_q, res) => res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify(mistral422));
      await rejects(engine('fim-api', { model: 'codestral-latest' }).infill(REQ), 'badRequest', /^422 request refused: body\.max_tokens: Input should be greater than or equal to 1$/);
      fake.script = (_q, res) => void trickle(res, [sse(mistralChunk('a')), sse(mistralChunk('', 'error')), sse('[DONE]')], 'text/event-stream');
      await rejects(engine('fim-api', { model: 'codestral-latest' }).infill(REQ, { onStep: () => undefined }), 'server', /finish_reason "error"/);
    });
  });

  describe('ollama', () => {
    it('posts /api/generate with suffix, think: false, keep_alive and options, and reads NDJSON to the done line', async () => {
      fake.script = (_q, res) => {
        const [a, b] = [ndjson(ollamaLine('a')), ndjson(ollamaLine(' + b'))];
        void trickle(res, [a + b.slice(0, 30), b.slice(30), ndjson(ollamaFinal('stop', 3))], 'application/x-ndjson');
      };
      const steps: StepEvent[] = [];
      const r = await engine('ollama', { model: 'qwen2.5-coder:1.5b' }).infill(REQ, { onStep: (s) => steps.push(s) });
      const q = fake.received[0];
      assert.strictEqual(q.url, '/api/generate');
      assert.deepStrictEqual(q.body, { model: 'qwen2.5-coder:1.5b', prompt: REQ.prefix, suffix: '\n', stream: true, think: false, keep_alive: REMOTE.ollamaKeepAlive, options: { num_predict: 32 } });
      assert.strictEqual(steps.length, 2);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 3);
      assert.strictEqual(r.stopReason, 'eom');
    });

    it('sends no suffix but raw at the end of a document, and maps done_reason "length" to maxTokens', async () => {
      fake.script = (_q, res) => res.end(JSON.stringify({ ...ollamaFinal('length', 32), response: 'a + b' }));
      const r = await engine('ollama', { model: 'm' }).infill({ ...REQ, suffix: '' });
      assert.deepStrictEqual(fake.received[0].body, { model: 'm', prompt: REQ.prefix, raw: true, stream: false, think: false, keep_alive: REMOTE.ollamaKeepAlive, options: { num_predict: 32 } });
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.stopReason, 'maxTokens');
    });

    it('needs a model name, and reports its error body and an {error} line mid-stream', async () => {
      await rejects(engine('ollama').infill(REQ), 'config', /model/);
      fake.script = (_q, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(ollamaError("model 'x' not found")));
      await rejects(engine('ollama', { model: 'x' }).infill(REQ), 'badRequest', /^404 request refused: model 'x' not found$/);
      fake.script = (_q, res) => void trickle(res, [ndjson(ollamaLine('a')), ndjson(ollamaError('an error was encountered while running the model'))], 'application/x-ndjson');
      await rejects(engine('ollama', { model: 'x' }).infill(REQ, { onStep: () => undefined }), 'server', /reported: an error was encountered while running the model/);
    });
  });

  describe('llama-server', () => {
    it('posts /infill with the cursor line in prompt, cache_prompt, t_max_predict_ms, n_indent, and reads SSE to the stop: true event', async () => {
      fake.script = (_q, res) => void trickle(res, [sse(llamaPartial('a')), sse(llamaPartial(' + b')), sse(llamaFinal('eos', 3))], 'text/event-stream');
      const r = await engine('llama-server').infill(REQ, { onStep: () => undefined });
      const q = fake.received[0];
      assert.strictEqual(q.url, '/infill');
      assert.deepStrictEqual(q.body, {
        input_prefix: 'def add(a, b):\n',
        input_suffix: '\n',
        prompt: '    return ',
        n_predict: 32,
        stream: true,
        cache_prompt: true,
        t_max_predict_ms: REMOTE.llamaServerMaxPredictMs,
        n_indent: 4,
      });
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 3);
    });

    it('reads a non-streamed answer and maps stop_type "limit" to maxTokens; no n_indent at column 0', async () => {
      fake.script = (_q, res) => res.end(JSON.stringify(llamaFinal('limit', 32, 'a + b')));
      const r = await engine('llama-server').infill({ ...REQ, prefix: 'x = ', mode: 'single' });
      assert.deepStrictEqual(fake.received[0].body, { input_prefix: '', input_suffix: '\n', prompt: 'x = ', n_predict: 32, stream: false, cache_prompt: true, t_max_predict_ms: REMOTE.llamaServerMaxPredictMs, stop: ['\n'] });
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.stopReason, 'maxTokens');
    });

    it('reports its error body, and an error event that ends a stream', async () => {
      fake.script = (_q, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(llamaError(400, 'the request exceeds the available context size', 'exceed_context_size_error')));
      await rejects(engine('llama-server').infill(REQ), 'badRequest', /^400 request refused: the request exceeds the available context size$/);
      fake.script = (_q, res) => void trickle(res, [sse(llamaPartial('a')), sse(llamaError(500, 'failed to decode the batch', 'server_error'))], 'text/event-stream');
      await rejects(engine('llama-server').infill(REQ, { onStep: () => undefined }), 'server', /reported: failed to decode the batch/);
    });
  });

  describe('failures, one clear error each', () => {
    const kinds: RemoteKind[] = ['mercury', 'fim-api', 'ollama', 'llama-server'];
    for (const kind of kinds) {
      const engine = (k: RemoteKind) => engineOf(k, { apiKey: 'k', model: 'm' });
      it(`${kind}: 401, 429 with Retry-After (seconds and date), 500`, async () => {
        fake.script = (_q, res) => res.writeHead(401).end('{"error":"invalid key"}');
        await rejects(engine(kind).infill(REQ), 'unauthorized', /401 unauthorized.*invalid key/);
        fake.script = (_q, res) => res.writeHead(429, { 'retry-after': '7' }).end();
        assert.strictEqual((await rejects(engine(kind).infill(REQ), 'rateLimited', /429/)).retryAfterMs, 7000);
        const date = new Date(Date.now() + 20_000).toUTCString();
        fake.script = (_q, res) => res.writeHead(429, { 'retry-after': date }).end();
        const ms = (await rejects(engine(kind).infill(REQ), 'rateLimited')).retryAfterMs!;
        assert.ok(ms > 15_000 && ms <= 20_000, String(ms));
        fake.script = (_q, res) => res.writeHead(429).end();
        assert.strictEqual((await rejects(engine(kind).infill(REQ), 'rateLimited')).retryAfterMs, REMOTE.retryAfterMs);
        fake.script = (_q, res) => res.writeHead(503).end('overloaded');
        await rejects(engine(kind).infill(REQ), 'server', /503 server error: overloaded/);
        fake.script = (_q, res) => res.writeHead(400).end('bad max_tokens');
        await rejects(engine(kind).infill(REQ), 'badRequest', /400/);
      });
    }

    it('a malformed streamed line, a body that is not JSON, a wrong shape, a stream cut short', async () => {
      fake.script = (_q, res) => void trickle(res, [sse(choice('a')), 'data: {not json\n\n'], 'text/event-stream');
      await rejects(engine('fim-api').infill(REQ, { onStep: () => undefined }), 'malformed', /not JSON/);
      fake.script = (_q, res) => res.end('<html>proxy error</html>');
      await rejects(engine('fim-api').infill(REQ), 'malformed', /not JSON/);
      fake.script = (_q, res) => res.end('{"text":"a"}');
      await rejects(engine('fim-api').infill(REQ), 'malformed', /choices/);
      fake.script = (_q, res) => void trickle(res, [sse(choice('a'))], 'text/event-stream');
      await rejects(engine('fim-api').infill(REQ, { onStep: () => undefined }), 'malformed', /ended before/);
    });

    it('a stalled stream times out', async () => {
      fake.script = (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(choice('a')));
      };
      const t0 = Date.now();
      await rejects(engine('fim-api', { timeoutMs: 200 }).infill(REQ, { onStep: () => undefined }), 'timeout', /200 ms/);
      assert.ok(Date.now() - t0 < 2000);
    });

    it('an unreachable server is a network error', async () => {
      await rejects(new RemoteEngine({ kind: 'fim-api', baseUrl: 'http://127.0.0.1:9', model: '' }).infill(REQ), 'network', /127\.0\.0\.1:9/);
    });
  });

  describe('cancellation and one request in flight', () => {
    it("aborts the HTTP request when the caller's signal aborts", async () => {
      let closed = false;
      fake.script = (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(choice('a')));
        res.on('close', () => (closed = true));
      };
      const ctl = new AbortController();
      const p = engine('fim-api').infill(REQ, { signal: ctl.signal, onStep: () => ctl.abort() });
      await assert.rejects(p, (e) => e instanceof EngineError && e.code === 'cancelled');
      for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(closed, 'the server saw the connection close');
    });

    it('a new request supersedes the one in flight', async () => {
      let n = 0;
      fake.script = (_q, res) => {
        if (n++ === 0) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(sse(choice('old')));
          return;
        }
        res.end(JSON.stringify(choice('new', 'stop')));
      };
      const e = engine('fim-api');
      let first!: Promise<unknown>;
      await new Promise<void>((resolve) => {
        first = e.infill(REQ, { onStep: () => resolve() });
      });
      const outcome = first.then(() => 'resolved', (x: unknown) => x);
      const second = await e.infill(REQ);
      const x = await outcome;
      assert.ok(x instanceof EngineError && x.code === 'superseded', String(x));
      assert.strictEqual(second.text, 'new');
    });
  });
});
