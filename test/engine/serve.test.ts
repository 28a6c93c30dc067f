// `diffusion-coder serve` as a user starts it (dist/cli.js, the real bundled model, 127.0.0.1):
// bad input gets a clear 4xx and the server keeps serving; concurrent cancels leave it serving;
// and the remote engine (kind fim-api) gets its completions from it, streamed and not.
import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import * as path from 'path';
import { EngineClient } from '../../src/client/engineClient';
import { defaultModelDir, enginePath, SERVE } from '../../src/defaults';
import { StepEvent } from '../../src/protocol';
import { RemoteEngine } from '../../src/remote/remoteEngine';
import { ROOT } from '../paths';

const ADD = { prefix: 'def add(a, b):\n    ', suffix: '\n\n\nprint(add(1, 2))\n', mode: 'multi' as const, maxTokens: 24 };

function post(url: string, body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve on the real model', function () {
  this.timeout(60000);
  let proc: ChildProcess;
  let base: string;
  before(async () => {
    proc = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'serve', '--port', '0', '--threads', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (c) => {
        out += c;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      proc.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
  });
  after(() => proc.kill('SIGTERM'));

  const fim = () => `${base}/v1/fim/completions`;
  const healthy = async () => {
    const r = await fetch(`${base}/health`);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(((await r.json()) as { status: string }).status, 'ok');
  };

  it('answers bad input with a clear 4xx and keeps serving', async () => {
    const cases: [string | Buffer, number, RegExp][] = [
      [Buffer.alloc(SERVE.maxBodyBytes + 1, 'a'), 413, /over/],
      ['{"prompt": "x",', 400, /not valid JSON/],
      ['[1, 2]', 400, /JSON object/],
      ['{"suffix": "x"}', 400, /"prompt" is required/],
      ['{"prompt": "x", "max_tokens": 0}', 400, /"max_tokens"/],
      ['{"prompt": "x", "stream": "yes"}', 400, /"stream" must be a boolean/],
      ['{"prompt": "x", "stop": [1]}', 400, /"stop"/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(fim(), body);
      assert.strictEqual(r.status, status, `${String(body).slice(0, 40)} -> ${r.text}`);
      assert.match(JSON.parse(r.text).error.message, message);
      await healthy();
    }
    assert.strictEqual((await fetch(`${base}/v2/other`, { method: 'POST' })).status, 404);
    assert.strictEqual((await fetch(fim())).status, 405);
    await healthy();
  });

  it('survives concurrent cancels and then answers in full', async () => {
    const ctls = Array.from({ length: 4 }, () => new AbortController());
    const body = JSON.stringify({ prompt: ADD.prefix, suffix: ADD.suffix, max_tokens: 48, stream: true });
    const runs = ctls.map((c) => fetch(fim(), { method: 'POST', body, signal: c.signal }).then((r) => r.text()).catch((e: Error) => e.name));
    await new Promise((r) => setTimeout(r, 30));
    ctls.forEach((c) => c.abort());
    const outcomes = await Promise.all(runs);
    assert.ok(outcomes.every((o) => o === 'AbortError' || o.includes('[DONE]')), outcomes.join(' | '));
    await healthy();
    const r = await post(fim(), JSON.stringify({ prompt: ADD.prefix, suffix: ADD.suffix, max_tokens: 24 }));
    assert.strictEqual(r.status, 200);
    assert.strictEqual(JSON.parse(r.text).object, 'text_completion');
  });

  it('gives the remote engine (fim-api) the same completion as the child process, streamed and not', async () => {
    const local = new EngineClient({ enginePath: enginePath(ROOT), modelDir: defaultModelDir(ROOT), threads: 2 });
    try {
      const want = await local.infill(ADD);
      const remote = new RemoteEngine({ kind: 'fim-api', baseUrl: `${base}/v1`, model: '' });
      const plain = await remote.infill(ADD);
      assert.strictEqual(plain.text, want.text);
      assert.strictEqual(plain.tokens, want.tokens);
      const steps: StepEvent[] = [];
      const streamed = await remote.infill(ADD, { onStep: (s) => steps.push(s) });
      assert.strictEqual(streamed.text, want.text);
      if (want.text) assert.ok(steps.length >= 1, 'streamed chunks arrive as steps');
    } finally {
      local.dispose();
    }
  });

  it('streams diffusion states to a mercury-style client (diffusing)', async () => {
    const r = await post(fim(), JSON.stringify({ prompt: 'for i in range(', suffix: '\n', max_tokens: 24, stream: true, diffusing: true }));
    assert.strictEqual(r.status, 200);
    const events = r.text.split('\n\n').filter(Boolean);
    assert.strictEqual(events[events.length - 1], 'data: [DONE]');
    const last = JSON.parse(events[events.length - 2].slice(6));
    assert.ok(last.choices[0].finish_reason);
    assert.ok(last.usage.completion_tokens >= 0);
  });
});
