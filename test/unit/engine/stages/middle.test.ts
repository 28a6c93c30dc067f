// Stage "middle": the SPM middle runs to the context's end; the natural middle's length is read
// from one pass of the model (the first position where "ended" is at least 50 % likely, rounded
// up to 8), or is the cap when fixed. Against a scripted runner: the rule, not a model.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Manifest, validateManifest } from '../../../../src/engine/manifest';
import { ContextRunner } from '../../../../src/engine/runners';
import { middleFor } from '../../../../src/engine/stages/middle';
import { InfillPlan } from '../../../../src/engine/stages/resolve';
import { TINY_MODEL } from '../../../paths';

const V = 8;
const MASK = 1;
const EOM = 5;
const STOP = 6;

/** Position k of the middle ends with probability pEnd(k) (split between <eom> and another stop token). */
class EndScript implements ContextRunner {
  readonly vocabSize = V;
  readonly anchorRowEveryStep = true;
  readonly cachedIds: number[] = [];
  tails: [number[], number][] = [];
  steps: { pending: number[]; block: number[]; pos: number; rows: number }[] = [];
  constructor(private readonly pEnd: (k: number) => number, private readonly shift: boolean) {}
  truncate(): void {}
  placeTail(tail: number[], tailPos: number): void {
    this.tails.push([tail, tailPos]);
  }
  async step(pending: number[], block: number[], pos: number, rows: number): Promise<Float32Array> {
    this.steps.push({ pending, block, pos, rows });
    const out = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      // the rows are the block's last ones; a shifted row predicts the position after it
      const k = r - (rows - block.length) + (this.shift ? 1 : 0);
      const p = Math.min(0.999, Math.max(0.001, this.pEnd(k)));
      // p split evenly between <eom> and the other stop token, the rest on token 7
      out.fill(-1e9, r * V, (r + 1) * V);
      out[r * V + EOM] = Math.log(p / 2);
      out[r * V + STOP] = Math.log(p / 2);
      out[r * V + 7] = Math.log(1 - p);
    }
    return out;
  }
}

describe('stage: middle', () => {
  const raw = JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'manifest.json'), 'utf8')) as Manifest;
  const natural = (shift: boolean) =>
    validateManifest({ ...raw, kind: 'bidirectional', layout: 'natural', logit_shift: shift, max_context: 200, architecture: { ...raw.architecture, vocab_size: V }, special_tokens: { pad: 0, mask: MASK, eom: EOM }, stop_tokens: [STOP] });
  const plan = (o: Partial<InfillPlan> = {}): InfillPlan => ({
    prefix: '', suffix: '', singleLine: false, maxTokens: 48, policy: { kind: 'steps', steps: 1 }, decode: 'threshold', blockSize: 8, exactTokens: false, middleLength: 'probe', ...o,
  });
  const ctx = { ids: [9, 9, 9], healed: '', prefixTokens: 3, suffixTokens: 2, tail: [3, 4] };
  const cached = { pending: [9, 9, 9], end: 3, hit: false };

  it('SPM: the middle follows the context up to max_context, no pass', async () => {
    const r = new EndScript(() => 0, false);
    const slot = await middleFor(raw, r).place(plan(), ctx, cached);
    assert.deepStrictEqual(slot, { pending: cached.pending, start: 3, maxTokens: 48, maxPosition: raw.max_context, probed: false });
    assert.strictEqual(r.steps.length, 0);
  });

  for (const shift of [false, true]) {
    it(`natural${shift ? ', shifted' : ''}: cut after the first sure end (both stop tokens count), rounded up to 8`, async () => {
      const r = new EndScript((k) => (k >= 13 ? 0.6 : 0.2), shift);
      const slot = await middleFor(natural(shift), r).place(plan(), ctx, cached);
      assert.deepStrictEqual(slot, { pending: [], start: 3, maxTokens: 16, maxPosition: 19, probed: true });
      assert.deepStrictEqual(r.steps.map((s) => [s.pending, s.block.length, s.pos, s.rows]), [[cached.pending, 48, 3, 48 + (shift ? 1 : 0)]]);
      assert.ok(r.steps[0].block.every((t) => t === MASK));
      // the suffix first after the longest middle, then after the chosen one
      assert.deepStrictEqual(r.tails, [[ctx.tail, 51], [ctx.tail, 19]]);
    });
  }

  it('natural: no sure end keeps the cap; fixed and exact lengths skip the pass', async () => {
    const unsure = new EndScript(() => 0.4, false);
    assert.strictEqual((await middleFor(natural(false), unsure).place(plan(), ctx, cached)).maxTokens, 48);
    for (const p of [plan({ middleLength: 'fixed' }), plan({ exactTokens: true })]) {
      const r = new EndScript(() => 0.9, false);
      const slot = await middleFor(natural(false), r).place(p, ctx, cached);
      assert.deepStrictEqual(slot, { pending: cached.pending, start: 3, maxTokens: 48, maxPosition: 51, probed: false });
      assert.strictEqual(r.steps.length, 0);
    }
  });

  it('natural: the middle never pushes the suffix past max_context', async () => {
    const r = new EndScript(() => 0, false);
    const slot = await middleFor({ ...natural(false), max_context: 40 }, r).place(plan({ middleLength: 'fixed' }), ctx, cached);
    assert.strictEqual(slot.maxTokens, 40 - 3 - 2);
    assert.deepStrictEqual(r.tails, [[ctx.tail, 38]]);
  });
});
