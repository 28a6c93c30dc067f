// The remote engine against scripted local servers, one per kind, replaying each API's
// documented shapes and quirks: SSE framing, `[DONE]`, usage-only chunks, diffusion states,
// NDJSON, 401, 429 with Retry-After, 500, a malformed line, a stalled stream, cancel, supersede.
import * as assert from 'assert';
import { REMOTE } from '../../../src/defaults';
import { RemoteKind } from '../../../src/remote/kinds';
import { RemoteEngine, RemoteEngineOptions } from '../../../src/remote/remoteEngine';
import { RemoteError } from '../../../src/remote/remoteError';
import { EngineError, StepEvent } from '../../../src/protocol';
import { FakeServer, fakeServer, trickle } from './fakeServer';

const REQ = { prefix: 'def add(a, b):\n    return ', suffix: '\n', mode: 'multi' as const, maxTokens: 32 };
const sse = (o: unknown) => `data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`;
const choice = (text: string, finish: string | null = null) => ({ id: 'c', object: 'text_completion', choices: [{ index: 0, text, finish_reason: finish }] });

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

  describe('fim-api', () => {
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
      const r = await engine('fim-api', { model: 'codestral-latest' }).infill({ ...REQ, mode: 'single' });
      assert.deepStrictEqual(fake.received[0].body, { model: 'codestral-latest', prompt: REQ.prefix, suffix: '\n', max_tokens: 32, stream: false, stop: ['\n'] });
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 5);
    });
  });

  describe('ollama', () => {
    it('posts /api/generate with suffix and options, and reads NDJSON', async () => {
      fake.script = (_q, res) =>
        void trickle(res, ['{"model":"m","response":"a","done":false}\n{"model":"m","resp', 'onse":" + b","done":false}\n', '{"model":"m","response":"","done":true,"done_reason":"stop","eval_count":3}\n'], 'application/x-ndjson');
      const steps: StepEvent[] = [];
      const r = await engine('ollama', { model: 'qwen2.5-coder:1.5b' }).infill(REQ, { onStep: (s) => steps.push(s) });
      const q = fake.received[0];
      assert.strictEqual(q.url, '/api/generate');
      assert.deepStrictEqual(q.body, { model: 'qwen2.5-coder:1.5b', prompt: REQ.prefix, suffix: '\n', stream: true, options: { num_predict: 32 } });
      assert.strictEqual(steps.length, 2);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 3);
    });

    it('needs a model name, and reports an {error} line', async () => {
      await rejects(engine('ollama').infill(REQ), 'config', /model/);
      fake.script = (_q, res) => void trickle(res, ['{"error":"model not found"}\n'], 'application/x-ndjson');
      await rejects(engine('ollama', { model: 'x' }).infill(REQ, { onStep: () => undefined }), 'malformed', /model not found/);
    });
  });

  describe('llama-server', () => {
    it('posts /infill with input_prefix, input_suffix, n_predict, and reads SSE without [DONE]', async () => {
      fake.script = (_q, res) => void trickle(res, [sse({ content: 'a', stop: false }), sse({ content: ' + b', stop: false }), sse({ content: '', stop: true, stop_type: 'eos', tokens_predicted: 3 })], 'text/event-stream');
      const r = await engine('llama-server').infill(REQ, { onStep: () => undefined });
      const q = fake.received[0];
      assert.strictEqual(q.url, '/infill');
      assert.deepStrictEqual(q.body, { input_prefix: REQ.prefix, input_suffix: '\n', n_predict: 32, stream: true, cache_prompt: true });
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.tokens, 3);
    });

    it('reads a non-streamed answer and maps stop_type "limit" to maxTokens', async () => {
      fake.script = (_q, res) => res.end(JSON.stringify({ content: 'a + b', stop: true, stop_type: 'limit', tokens_predicted: 32 }));
      const r = await engine('llama-server').infill(REQ);
      assert.strictEqual(r.text, 'a + b');
      assert.strictEqual(r.stopReason, 'maxTokens');
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
