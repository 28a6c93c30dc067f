// serve's HTTP layer over a scripted engine: the bearer token, the request timeout, a full queue,
// requests answered one at a time in order, SSE framing with deltas and [DONE], stop strings.
import * as assert from 'assert';
import * as http from 'http';
import { AddressInfo } from 'net';
import { InfillEngine } from '../../../src/client/infillEngine';
import { EngineError, InfillParams, InfillResult, StepEvent } from '../../../src/protocol';
import { createServer, ServeOptions } from '../../../src/serve/server';

const result = (text: string): InfillResult => ({ text, tokens: 2, steps: 2, forwards: 2, ms: 1, stopReason: 'eom', cacheHit: false, prefillTokens: 5 });
const step = (tokens: (string | null)[], n: number): StepEvent => ({ step: n, block: 0, tokens, committed: [], confidences: [], forwards: n, ms: n });

/** Answers `a + b` in two steps after `delayMs`, or waits for the abort. */
function engine(delayMs = 0, order: string[] = []): InfillEngine {
  return {
    infill: (p: InfillParams, o = {}) =>
      new Promise((resolve, reject) => {
        order.push(p.prefix);
        const t = setTimeout(() => {
          o.onStep?.(step(['a', null], 1));
          o.onStep?.(step(['a', ' + b', '<eom>'], 2));
          resolve(result('a + b'));
        }, delayMs);
        o.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new EngineError('cancelled', 'cancelled'));
        });
      }),
  };
}

describe('serve HTTP layer', () => {
  let server: http.Server;
  let url: string;
  const start = async (o: Partial<ServeOptions>) => {
    server = createServer({ engine: engine(), modelName: 'm', maxTokensLimit: 64, ...o });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterEach(() => {
    server.closeAllConnections();
    server.close();
  });
  const fim = (body: object, headers: Record<string, string> = {}) => fetch(`${url}/v1/fim/completions`, { method: 'POST', body: JSON.stringify(body), headers });

  it('streams deltas of the committed text, the finish with usage, then [DONE]', async () => {
    await start({});
    const text = await (await fim({ prompt: 'x', stream: true })).text();
    const events = text.split('\n\n').filter(Boolean).map((e) => e.slice(6));
    assert.strictEqual(events.pop(), '[DONE]');
    const chunks = events.map((e) => JSON.parse(e));
    assert.deepStrictEqual(chunks.map((c) => c.choices[0].text), ['a', ' + b', '']);
    assert.deepStrictEqual(chunks.map((c) => c.choices[0].finish_reason), [null, null, 'stop']);
    assert.deepStrictEqual(chunks[2].usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it('cuts the text at stop strings', async () => {
    await start({});
    const r = (await (await fim({ prompt: 'x', stop: [' +'] })).json()) as { choices: { text: string }[] };
    assert.strictEqual(r.choices[0].text, 'a');
  });

  it('requires the bearer token when one is set', async () => {
    await start({ token: 's3cret' });
    assert.strictEqual((await fim({ prompt: 'x' })).status, 401);
    assert.strictEqual((await fim({ prompt: 'x' }, { authorization: 'Bearer wrong!' })).status, 401);
    assert.strictEqual((await fetch(`${url}/health`)).status, 401);
    assert.strictEqual((await fim({ prompt: 'x' }, { authorization: 'Bearer s3cret' })).status, 200);
  });

  it('answers 504 past the request timeout and keeps serving', async () => {
    await start({ engine: engine(10_000), requestTimeoutMs: 100 });
    const r = await fim({ prompt: 'x' });
    assert.strictEqual(r.status, 504);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /100 ms/);
    assert.strictEqual((await fetch(`${url}/health`)).status, 200);
  });

  it('runs requests one at a time in arrival order, and refuses past the queue limit with 503', async () => {
    const order: string[] = [];
    await start({ engine: engine(30, order), maxQueue: 1 });
    const rs = await Promise.all(['1', '2', '3'].map((p, i) => new Promise((r) => setTimeout(r, i * 5)).then(() => fim({ prompt: p }))));
    assert.deepStrictEqual(rs.map((r) => r.status), [200, 200, 503]);
    assert.deepStrictEqual(order, ['1', '2']);
  });
});
