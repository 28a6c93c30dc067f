// The decode loop against a scripted logits source: block scheduling, stopping, AR baseline,
// streamed steps and cancellation, without any model.
import * as assert from 'assert';
import { BlockModel, DecodeOptions, DecodeStep, denoise } from '../../../src/engine/denoiser';

const V = 16;
const MASK = 1;
const EOM = 2;
const NL = 3; // a token whose text holds a newline
const pieces = Array.from({ length: V }, (_, i) => (i === NL ? '\n' : `t${i}`));

/**
 * Predicts target[k] at middle index k with probability conf(k, callNo). Shifted: the row of
 * position q predicts index q + 1 - start; unshifted: index q - start.
 */
class Scripted implements BlockModel {
  readonly vocabSize = V;
  readonly anchorRowEveryStep = false;
  calls: { pending: number[]; block: number[]; pos: number; rows: number }[] = [];
  constructor(
    private start: number,
    private target: number[] | ((k: number, call: number) => number),
    private conf: (k: number, call: number) => number,
    private shift = false,
  ) {}
  async step(pending: number[], block: number[], pos: number, rows: number): Promise<Float32Array> {
    this.calls.push({ pending: [...pending], block: [...block], pos, rows });
    assert.ok(rows <= pending.length + block.length, 'rows beyond the input');
    const out = new Float32Array(rows * V);
    const first = pos + block.length - rows;
    for (let r = 0; r < rows; r++) {
      const k = first + r + (this.shift ? 1 : 0) - this.start;
      const call = this.calls.length;
      const p = this.conf(k, call);
      const t = (typeof this.target === 'function' ? this.target(k, call) : this.target[k]) ?? EOM;
      out[r * V + t] = Math.log((p * (V - 1)) / (1 - p));
    }
    return out;
  }
}

function opts(o: Partial<DecodeOptions>): DecodeOptions {
  return { maskId: MASK, eomId: EOM, shift: false, maxTokens: 32, blockSize: 4, policy: { kind: 'threshold', threshold: 0.9 }, singleLine: false, maxPosition: 1000, pieces, ...o };
}

describe('denoiser', () => {
  it('commits confident positions in parallel and stops at <eom>', async () => {
    const m = new Scripted(3, [5, 6, 7, EOM], () => 0.99);
    const r = await denoise(m, [10, 11, 12], 3, opts({}));
    assert.deepStrictEqual(r.tokens, [5, 6, 7]);
    assert.strictEqual(r.forwards, 2, 'three tokens in the first step, <eom> once it is the leftmost undecided');
    assert.strictEqual(r.stopReason, 'eom');
    assert.deepStrictEqual(m.calls[0].pending, [10, 11, 12]);
  });

  it('commits one position per step when nothing is confident', async () => {
    const m = new Scripted(0, [5, 6, 7, 8, EOM], () => 0.5);
    const steps: DecodeStep[] = [];
    const r = await denoise(m, [], 0, opts({ onStep: (s) => steps.push(s) }));
    assert.deepStrictEqual(r.tokens, [5, 6, 7, 8]);
    assert.strictEqual(r.steps, 5); // 4 steps for the first block, 1 for <eom> in the next
    assert.deepStrictEqual(steps.map((s) => s.step), [1, 2, 3, 4, 5]);
    assert.deepStrictEqual(steps[0].tokens, [5, null, null, null]);
    assert.deepStrictEqual(m.calls[4].pending, [5, 6, 7, 8], 'the finished block rides along with the next pass');
    assert.strictEqual(m.calls[4].pos, 4);
  });

  it('ignores positions after <eom> once it is committed', async () => {
    const m = new Scripted(0, [EOM, 9, 9, 9], (k) => (k === 0 ? 0.99 : 0.1));
    const r = await denoise(m, [], 0, opts({}));
    assert.deepStrictEqual(r.tokens, []);
    assert.strictEqual(r.forwards, 1);
  });

  it('stops at a newline in single-line mode', async () => {
    const m = new Scripted(0, [5, NL, 6, 7, 8], () => 0.99);
    const r = await denoise(m, [], 0, opts({ singleLine: true }));
    assert.deepStrictEqual(r.tokens, [5, NL]);
    assert.strictEqual(r.stopReason, 'newline');
  });

  it('respects maxTokens and the context limit', async () => {
    const long = Array.from({ length: 40 }, () => 9);
    assert.strictEqual((await denoise(new Scripted(0, long, () => 0.99), [], 0, opts({ maxTokens: 6 }))).stopReason, 'maxTokens');
    const r = await denoise(new Scripted(0, long, () => 0.99), [], 0, opts({ maxPosition: 5 }));
    assert.deepStrictEqual([r.tokens.length, r.stopReason], [5, 'contextFull']);
  });

  it('block size 1 is autoregressive: one token per forward pass', async () => {
    const m = new Scripted(0, [5, 6, 7, EOM], () => 0.99);
    const r = await denoise(m, [], 0, opts({ blockSize: 1 }));
    assert.deepStrictEqual(r.tokens, [5, 6, 7]);
    assert.strictEqual(r.forwards, 4);
    assert.ok(m.calls.every((c) => c.block.length === 1));
  });

  it('fixed-steps policy takes exactly that many steps per block', async () => {
    const m = new Scripted(0, [5, 6, 7, 8, 9, 10, 11, 12], () => 0.3);
    const r = await denoise(m, [], 0, opts({ policy: { kind: 'steps', steps: 2 }, maxTokens: 8 }));
    assert.strictEqual(r.steps, 4);
    assert.deepStrictEqual(r.tokens, [5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('restricts the first token (token healing) and never emits banned tokens', async () => {
    const m = new Scripted(0, [5, 6, EOM], () => 0.99);
    const first = new Uint8Array(V);
    first[7] = 1;
    const allowed = new Uint8Array(V).fill(1);
    allowed[6] = 0;
    const r = await denoise(m, [], 0, opts({ firstAllowed: first, allowed }));
    assert.strictEqual(r.tokens[0], 7);
    assert.ok(!r.tokens.includes(6));
  });

  it('shifted: a block reads the row before each position, the anchor from its first step', async () => {
    const m = new Scripted(3, [5, 6, 7, 8, 9, EOM], () => 0.5, true);
    const r = await denoise(m, [10, 11, 12], 3, opts({ shift: true }));
    assert.deepStrictEqual(r.tokens, [5, 6, 7, 8, 9]);
    assert.strictEqual(m.calls[0].rows, 5, 'first step: the last clean row plus the block');
    assert.strictEqual(m.calls[1].rows, 4, 'later steps: the block only, the anchor is kept');
    assert.deepStrictEqual(m.calls[4].pending, [5, 6, 7, 8]);
    assert.strictEqual(m.calls[4].rows, 5);
  });

  it('commits <eom> only at the leftmost undecided position', async () => {
    // index 1 looks like the end at first (0.99) but is a real token once index 0 is known
    const target = (k: number, call: number) => [5, call === 1 ? EOM : 6, 7][k] ?? EOM;
    const m = new Scripted(0, target, (k) => (k === 0 ? 0.5 : 0.99));
    const r = await denoise(m, [], 0, opts({}));
    assert.deepStrictEqual(r.tokens, [5, 6, 7]);
    assert.strictEqual(r.stopReason, 'eom');
  });

  it('stops at the next step boundary when cancelled', async () => {
    const signal = { aborted: false };
    const m = new Scripted(0, Array.from({ length: 30 }, () => 9), () => 0.5);
    const p = denoise(m, [], 0, opts({ signal, onStep: (s) => (signal.aborted = s.step >= 3) }));
    await assert.rejects(p, /cancelled/);
    assert.strictEqual(m.calls.length, 3);
  });
});
