// serve's HTTP layer over a scripted engine: the bearer token, the request timeout, a full queue,
// requests answered one at a time in order, SSE framing with deltas and [DONE], stop strings;
// over raw sockets, `Expect: 100-continue` refused before the body is sent and a chunked body
// over the limit answered 413 that the client reads whole before the connection closes.
import * as assert from 'assert';
import * as http from 'http';
import { AddressInfo } from 'net';
import { InfillEngine } from '../../../src/client/infillEngine';
import { EngineError, InfillParams, InfillResult, StepEvent } from '../../../src/protocol';
import { createServer, FIM_PATH, ServeOptions } from '../../../src/serve/server';
import { chunk, head, RawConnection } from './rawHttp';

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

  describe('a body the server refuses', () => {
    const json = { 'content-type': 'application/json' };

    it('with Expect: 100-continue and a declared length over the limit: 413 at once, no 100 Continue, the body never sent', async () => {
      await start({ maxBodyBytes: 1024 });
      const c = new RawConnection(url);
      await c.write(head(FIM_PATH, { ...json, 'content-length': 10_000_000, expect: '100-continue' }));
      const r = await c.response();
      assert.deepStrictEqual(r.statusLines, ['HTTP/1.1 413 Payload Too Large']);
      assert.strictEqual(r.headers.connection, 'close');
      assert.match(JSON.parse(r.body).error.message, /over 1024 bytes/);
      c.socket.end();
      assert.strictEqual(await c.closed, undefined);
    });

    it('with Expect: 100-continue and no token: 401 without 100 Continue', async () => {
      await start({ token: 's3cret' });
      const c = new RawConnection(url);
      await c.write(head(FIM_PATH, { ...json, 'content-length': 13, expect: '100-continue' }));
      const r = await c.response();
      assert.deepStrictEqual(r.statusLines, ['HTTP/1.1 401 Unauthorized']);
      c.socket.end();
      await c.closed;
    });

    it('with Expect: 100-continue and a body within the limit: 100 Continue, then the answer', async () => {
      await start({});
      const c = new RawConnection(url);
      const body = JSON.stringify({ prompt: 'x' });
      await c.write(head(FIM_PATH, { ...json, 'content-length': body.length, expect: '100-continue' }));
      for (let i = 0; i < 100 && !c.text.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.strictEqual(c.text, 'HTTP/1.1 100 Continue\r\n\r\n');
      await c.write(body);
      const r = await c.response();
      assert.deepStrictEqual(r.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
      assert.strictEqual(JSON.parse(r.body).choices[0].text, 'a + b');
      c.socket.end();
    });

    it('chunked, over the limit, written whole before reading: the client reads the 413, then a clean close', async () => {
      await start({ maxBodyBytes: 1024 });
      const c = new RawConnection(url);
      await c.write(head(FIM_PATH, { ...json, 'transfer-encoding': 'chunked' }));
      const piece = chunk('a'.repeat(64 * 1024));
      for (let i = 0; i < 64; i++) await c.write(piece); // 4 MiB, far past the limit
      await c.write('0\r\n\r\n');
      const r = await c.response();
      assert.deepStrictEqual(r.statusLines, ['HTTP/1.1 413 Payload Too Large']);
      assert.strictEqual(r.headers.connection, 'close');
      assert.match(JSON.parse(r.body).error.message, /over 1024 bytes/);
      assert.strictEqual(await c.closed, undefined, 'the server closed without a reset');
    });

    it('a client that never stops sending is cut off after lingerMs, the 413 read first', async () => {
      await start({ maxBodyBytes: 1024, lingerMs: 200 });
      const c = new RawConnection(url);
      await c.write(head(FIM_PATH, { ...json, 'transfer-encoding': 'chunked' }));
      const piece = chunk('a'.repeat(16 * 1024));
      const t0 = Date.now();
      let sent = 0;
      while (!c.socket.destroyed && Date.now() - t0 < 5000) {
        await c.write(piece).catch(() => undefined);
        sent++;
        if (sent % 16 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await c.closed;
      assert.ok(Date.now() - t0 < 3000, `closed after ${Date.now() - t0} ms`);
      assert.match(c.text, /^HTTP\/1\.1 413 Payload Too Large\r\n[\s\S]*over 1024 bytes/);
    });
  });
});
