// Converted open models (natural layout) in the engine: the golden decodes of the Python side
// (training/make_natural_golden.py: torch reference model, natural.py's runner and length rule)
// reproduced by NaturalRunner + the middle stage + the denoiser on the converted ONNX files, then
// whole infills through the engine process: prefix, masks, suffix; the length pass; the dual
// cache against full recomputation; the device fallback; `diffusion-coder convert` end to end.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineClient } from '../../src/client/engineClient';
import { enginePath } from '../../src/defaults';
import { denoise } from '../../src/engine/denoiser';
import { outputMask } from '../../src/engine/layout';
import { Manifest, readModelFolder } from '../../src/engine/manifest';
import { NaturalRunner } from '../../src/engine/naturalRunner';
import { ModelSession } from '../../src/engine/session';
import { middleFor } from '../../src/engine/stages/middle';
import { InfillPlan } from '../../src/engine/stages/resolve';
import { FIXTURES, ROOT } from '../paths';

interface NaturalCase {
  family: string;
  context: number[];
  tail: number[];
  options: { block_size: number; policy: [string, number, number?]; max_tokens: number; middle_length: 'probe' | 'fixed'; dual_cache: boolean };
  expected: { tokens: number[]; steps: number; forwards: number; stop: string; middle_tokens: number };
}

const OPEN = path.join(FIXTURES, 'open-tiny');
const golden: { cases: NaturalCase[] } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'golden-natural.json'), 'utf8'));

describe('natural layout: golden decodes (Python reference == engine)', () => {
  const sessions = new Map<string, { s: ModelSession; m: Manifest }>();
  before(async () => {
    for (const family of new Set(golden.cases.map((c) => c.family))) {
      const f = readModelFolder(path.join(OPEN, family));
      sessions.set(family, { s: await ModelSession.create(f.modelPath, f.manifest, 2), m: f.manifest });
    }
  });
  after(async () => {
    for (const { s } of sessions.values()) await s.release();
  });

  it('covers both families, the length pass (cutting too), end-of-text and the dual cache', () => {
    const fams = new Set(golden.cases.map((c) => c.family));
    assert.ok(fams.has('llada') && fams.has('dream'));
    assert.ok(golden.cases.some((c) => c.options.middle_length === 'probe' && c.options.dual_cache));
    assert.ok(golden.cases.some((c) => !c.options.dual_cache));
    // dream-ends expects middles to end: the length pass cuts some, and decodes stop at end-of-text
    assert.ok(golden.cases.some((c) => c.options.middle_length === 'probe' && c.expected.middle_tokens < c.options.max_tokens));
    assert.ok(golden.cases.some((c) => c.expected.stop === 'eom'));
  });

  golden.cases.forEach((c, i) => {
    const o = c.options;
    it(`case ${i}: ${c.family}, block ${o.block_size}, ${o.policy.join(' ')}, ${o.middle_length}, ${o.dual_cache ? 'dual cache' : 'no cache'}`, async () => {
      const { s, m } = sessions.get(c.family)!;
      const runner = new NaturalRunner(s, m, o.dual_cache);
      const policy = o.policy[0] === 'threshold' ? { kind: 'threshold' as const, threshold: o.policy[1], stepBudget: o.policy[2] } : { kind: 'steps' as const, steps: o.policy[1] };
      const plan: InfillPlan = { prefix: '', suffix: '', singleLine: false, maxTokens: o.max_tokens, policy, decode: 'threshold', blockSize: o.block_size, exactTokens: false, middleLength: o.middle_length };
      const ctx = { ids: c.context, healed: '', prefixTokens: c.context.length, suffixTokens: c.tail.length, tail: c.tail };
      const slot = await middleFor(m, runner).place(plan, ctx, { pending: c.context, end: c.context.length, hit: false });
      const r = await denoise(runner, slot.pending, slot.start, {
        maskId: m.special_tokens.mask,
        eomId: m.special_tokens.eom,
        shift: m.logit_shift === true,
        maxTokens: slot.maxTokens,
        blockSize: o.block_size,
        policy,
        singleLine: false,
        maxPosition: slot.maxPosition,
        pieces: new Array<string>(m.architecture.vocab_size).fill(''),
        allowed: outputMask(m),
      });
      const got = { tokens: r.tokens, steps: r.steps, forwards: r.forwards + (slot.probed ? 1 : 0), stop: r.stopReason, middle_tokens: slot.maxTokens };
      assert.deepStrictEqual(got, c.expected);
    });
  });
});

describe('natural layout: infills through the engine process', function () {
  this.timeout(60000);
  const ADD = { prefix: 'def add(a, b):\n    return ', suffix: '\n\nprint(add(1, 2))\n', mode: 'multi' as const, maxTokens: 24 };
  const client = (family: string, extra: { dualCache?: boolean; device?: string } = {}) =>
    new EngineClient({ enginePath: enginePath(ROOT), modelDir: path.join(OPEN, family), threads: 2, maxRestarts: 0, ...extra });

  for (const family of ['dream', 'llada', 'dream-int4']) {
    it(`${family}: loads as a natural-layout model and infills between prefix and suffix`, async () => {
      const c = client(family);
      try {
        const info = await c.start();
        assert.strictEqual(info.kind, 'bidirectional');
        const probe = await c.infill(ADD);
        assert.ok(probe.tokens > 0 && probe.tokens <= 24, `${probe.tokens} tokens`);
        // the length pass is one forward pass more than the steps
        assert.strictEqual(probe.forwards, probe.steps + 1);
        const fixed = await c.infill({ ...ADD, middleLength: 'fixed' });
        assert.strictEqual(fixed.forwards, fixed.steps);
        assert.strictEqual(fixed.cacheHit, false, 'the natural runner holds nothing across requests');
      } finally {
        c.dispose();
      }
    });
  }

  it('decodes without the dual cache too (every step recomputed), to the same length', async () => {
    const [cached, full] = [client('dream'), client('dream', { dualCache: false })];
    try {
      const a = await cached.infill({ ...ADD, middleLength: 'fixed', exactTokens: true });
      const b = await full.infill({ ...ADD, middleLength: 'fixed', exactTokens: true });
      assert.strictEqual(a.tokens, 24);
      assert.strictEqual(b.tokens, 24);
      assert.strictEqual(a.steps, b.steps);
    } finally {
      cached.dispose();
      full.dispose();
    }
  });

  it('falls back to the CPU, with a note, when the device asked for is missing', async () => {
    const c = client('dream', { device: 'no-such-provider' });
    try {
      const info = await c.start();
      assert.strictEqual(info.device, 'cpu');
      assert.match(info.deviceNote ?? '', /no-such-provider.*not offered.*running on the CPU/);
      assert.ok((await c.infill(ADD)).tokens > 0);
    } finally {
      c.dispose();
    }
  });
});

describe('diffusion-coder convert', function () {
  this.timeout(120000);
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-convert-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('converts a Hugging Face checkpoint (int4) into a folder the engine infills with', async () => {
    const out = path.join(tmp, 'llada-int4');
    const r = cli('convert', '--from', path.join(FIXTURES, 'hf-tiny', 'llada'), '--to', out);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(readModelFolder(out).manifest.quantization ?? '', /^int4/);
    const c = new EngineClient({ enginePath: enginePath(ROOT), modelDir: out, threads: 2, maxRestarts: 0 });
    try {
      assert.ok((await c.infill({ prefix: 'x = 1\ny = ', suffix: '\n', mode: 'single' })).tokens > 0);
    } finally {
      c.dispose();
    }
  });

  it('says what is wrong with its input, and leaves nothing behind', () => {
    const noConfig = cli('convert', '--from', tmp, '--to', path.join(tmp, 'x'));
    assert.strictEqual(noConfig.status, 2);
    assert.match(noConfig.stderr, /has no config\.json/);
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    const r = cli('convert', '--from', bad, '--to', path.join(tmp, 'gpt2'));
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /^convert: .*gpt2/m);
    assert.ok(!fs.existsSync(path.join(tmp, 'gpt2')));
  });
});
