// The engine as the extension and CLI use it: a child process on the real bundled model.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineClient } from '../../src/client/engineClient';
import { defaultModelDir, enginePath } from '../../src/defaults';
import { DECODE_MODES, EngineError, StepEvent } from '../../src/protocol';
import { ROOT, TINY_MODEL } from '../paths';
import { skipUnlessScores } from './quality';

const ENGINE = enginePath(ROOT);
const MODEL = defaultModelDir(ROOT);

function client(modelDir = MODEL, extra: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}): EngineClient {
  return new EngineClient({ enginePath: ENGINE, modelDir, threads: 2, backoffMs: 50, ...extra });
}

/**
 * Hand-picked cases that a model which writes code gets right. They run once the bundled model
 * reaches the single-line pass@1 a GPU-trained default is expected to reach (15% in its eval.json);
 * skipped visibly before. The held-out quality check in quality.test.ts runs from 5%.
 */
const HAND_PICKED_MIN = 15;

const ADD = { prefix: 'def add(a, b):\n    ', suffix: '\n\n\nprint(add(1, 2))\n', mode: 'multi' as const };

describe('engine process on the real model', function () {
  this.timeout(60000);
  let c: EngineClient;
  before(async () => {
    c = client();
    await c.start();
  });
  after(() => c.dispose());

  it('loads the model named by the manifest', () => {
    assert.strictEqual(c.state, 'ready');
    assert.strictEqual(c.model?.kind, 'block-causal');
    assert.ok(c.model!.params > 1e6);
  });

  it('completes the missing return line of a short function', async function () {
    skipUnlessScores(this, MODEL, HAND_PICKED_MIN);
    const r = await c.infill(ADD);
    assert.match(r.text, /return\b/, JSON.stringify(r));
    assert.ok(r.tokens > 0 && r.forwards > 0 && r.steps >= r.forwards);
  });

  it('streams steps in order that end in the result', async () => {
    const steps: StepEvent[] = [];
    const r = await c.infill(ADD, { onStep: (s) => steps.push(s) });
    assert.ok(steps.length > 0);
    assert.deepStrictEqual(steps.map((s) => s.step), steps.map((_, i) => i + 1));
    const last = steps[steps.length - 1];
    assert.strictEqual(last.forwards, r.forwards);
    const shown = last.tokens.map((t) => t ?? '').join('').replace('<|eom|>', '');
    assert.strictEqual(shown, r.text);
    assert.ok(steps.every((s) => s.committed.length === s.confidences.length));
  });

  it('completes inside a word from where the cursor is (token healing)', async () => {
    const r = await c.infill({ prefix: 'def add(a, b):\n    ret', suffix: '\n', mode: 'single' });
    assert.ok(!r.text.startsWith('ret') && !r.text.startsWith(' '), JSON.stringify(r.text));
  });

  it('reuses the cached context while the user types', async () => {
    const base = 'import os\n\n\ndef list_files(folder):\n    names = []\n    for name in os.listdir(folder):\n        ';
    await c.infill({ prefix: base, suffix: '\n    return names\n', mode: 'single' });
    const r = await c.infill({ prefix: base + 'n', suffix: '\n    return names\n', mode: 'single' });
    assert.ok(r.cacheHit);
    assert.ok(r.prefillTokens < 10, `${r.prefillTokens}`);
  });

  it('decodes the same from a cold and a warm context cache', async () => {
    const p = { prefix: 'class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n        ', suffix: '\n', mode: 'multi' as const };
    await c.infill({ prefix: 'const unrelated = 1;\n', suffix: '' });
    const cold = await c.infill(p);
    const warm = await c.infill(p);
    assert.deepStrictEqual([cold.cacheHit, warm.cacheHit], [false, true]);
    const same = (r: typeof cold) => [r.text, r.tokens, r.steps, r.forwards, r.stopReason];
    assert.deepStrictEqual(same(warm), same(cold));
  });

  it('single-line mode never returns more than one line', async () => {
    const r = await c.infill({ prefix: 'x = [', suffix: '\n', mode: 'single' });
    assert.ok(!r.text.includes('\n'));
  });

  it('exactTokens gives both decoders the same output length (matched-output benchmarks)', async () => {
    for (const decode of DECODE_MODES) {
      const r = await c.infill({ ...ADD, mode: 'single', maxTokens: 11, exactTokens: true, decode });
      assert.deepStrictEqual([r.tokens, r.stopReason], [11, 'maxTokens'], JSON.stringify(r));
    }
  });

  it('cancels a request by AbortSignal and keeps serving', async () => {
    const ac = new AbortController();
    const p = c.infill({ ...ADD, maxTokens: 64, threshold: 1.01 }, { signal: ac.signal, onStep: () => ac.abort() });
    await assert.rejects(p, (e: EngineError) => e.code === 'cancelled');
    assert.strictEqual((await c.infill(ADD)).stopReason.length > 0, true);
  });

  it('lets the newest request win', async () => {
    const first = c.infill({ ...ADD, maxTokens: 64, threshold: 1.01, exactTokens: true }); // 16 steps at least: still running when the second arrives
    const second = c.infill(ADD);
    await assert.rejects(first, (e: EngineError) => e.code === 'superseded');
    assert.strictEqual(typeof (await second).text, 'string');
  });

  it('answers sanely for an empty document and a megabyte of context', async () => {
    assert.strictEqual(typeof (await c.infill({ prefix: '', suffix: '' })).text, 'string');
    const big = 'x = 1\n'.repeat(200000);
    const r = await c.infill({ prefix: big, suffix: big, mode: 'single' });
    assert.strictEqual(typeof r.text, 'string');
  });

  it('refuses binary content with a clear error', async () => {
    await assert.rejects(c.infill({ prefix: 'PK\u0003\u0004\u0000\u0000', suffix: '' }), (e: EngineError) => e.code === 'badRequest' && /binary/.test(e.message));
  });

  it('survives 1,000 requests and cancels in a second with flat memory', async () => {
    const before = (await c.status()).stats.rssMb;
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) {
      const ac = new AbortController();
      all.push(c.infill({ prefix: `def f${i}(x):\n    `, suffix: '\n' }, { signal: ac.signal }).catch((e: EngineError) => e.code));
      if (i % 2 === 0) ac.abort();
    }
    const results = await Promise.all(all);
    assert.ok(results.every((r) => typeof r === 'object' || r === 'cancelled' || r === 'superseded'), JSON.stringify(results.filter((r) => typeof r !== 'object').slice(0, 3)));
    assert.strictEqual(typeof results[999], 'object', 'the last request wins');
    const after = (await c.status()).stats.rssMb;
    assert.ok(after - before < 60, `rss ${before} -> ${after} MB`);
  });

  it('autoregressive baseline and diffusion agree on an easy case', async function () {
    skipUnlessScores(this, MODEL, HAND_PICKED_MIN);
    const p = { prefix: 'import numpy as np\nimport os\nimport sys\n\n\ndef main():\n    args = sys.argv[1:]\n    ', suffix: '\n', mode: 'single' as const };
    const d = await c.infill({ ...p, decode: 'threshold' });
    const a = await c.infill({ ...p, decode: 'ar' });
    assert.strictEqual(a.forwards, a.tokens + (a.stopReason === 'eom' ? 1 : 0));
    assert.ok(d.text.length > 0);
    assert.strictEqual(d.text, a.text);
    assert.ok(d.forwards < a.forwards || a.forwards <= 2);
  });

  it('restarts itself after the engine is killed', async () => {
    const pid = c.pid!;
    const states: string[] = [];
    c.on('state', (s) => states.push(s));
    process.kill(pid, 'SIGKILL');
    await new Promise<void>((resolve) => c.once('state', function wait(s) { if (s === 'ready') resolve(); else c.once('state', wait); }));
    assert.notStrictEqual(c.pid, pid);
    assert.strictEqual((await c.infill(ADD)).stopReason.length > 0, true);
    assert.deepStrictEqual(states.slice(0, 1), ['starting']);
  });
});

describe('engine with a bad model folder', function () {
  this.timeout(30000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-bad-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function startErr(dir: string): Promise<EngineError> {
    const c = client(dir, { maxRestarts: 0 });
    try {
      await c.start();
      throw new Error('should not load');
    } catch (e) {
      assert.strictEqual(c.state, 'error');
      // a broken model is not retried on every request: the next start fails at once, no process
      await assert.rejects(c.start(), (again: EngineError) => again.code === (e as EngineError).code);
      assert.strictEqual(c.pid, undefined);
      return e as EngineError;
    } finally {
      c.dispose();
    }
  }

  it('reports a missing model folder', async () => {
    const e = await startErr(path.join(tmp, 'nope'));
    assert.strictEqual(e.code, 'modelMissing');
  });

  it('reports a model file that does not match its manifest', async () => {
    const dir = path.join(tmp, 'corrupt');
    fs.mkdirSync(dir);
    for (const f of ['manifest.json', 'tokenizer.json']) fs.copyFileSync(path.join(MODEL, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'model.onnx'), 'not a model');
    const e = await startErr(dir);
    assert.strictEqual(e.code, 'modelCorrupt');
    assert.match(e.message, /does not match its manifest/);
  });

  it('reports a broken manifest', async () => {
    const dir = path.join(tmp, 'badjson');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": 1, "kind": "transformer"');
    const e = await startErr(dir);
    assert.strictEqual(e.code, 'modelCorrupt');
  });

  it('runs a manifest of kind bidirectional (whole sequence each step)', async () => {
    const dir = path.join(tmp, 'bidi');
    fs.mkdirSync(dir);
    for (const f of ['model.onnx', 'tokenizer.json']) fs.copyFileSync(path.join(TINY_MODEL, f), path.join(dir, f));
    const m = JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, kind: 'bidirectional' }));
    const c = client(dir);
    try {
      assert.strictEqual((await c.start()).kind, 'bidirectional');
      const r = await c.infill({ prefix: 'x = ', suffix: '\n', maxTokens: 8 });
      assert.ok(r.forwards >= 1 && r.tokens <= 8);
    } finally {
      c.dispose();
    }
  });
});
