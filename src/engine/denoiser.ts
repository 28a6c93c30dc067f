// The decode loop: block after block of <mask> tokens, each denoised in parallel steps by a
// policy, until the model emits end-of-middle, a line ends (single-line) or a limit is hit.
// Talks to the model through BlockModel, so it runs the same on a real ONNX session and on a
// scripted logits source in unit tests. Block size 1 is the autoregressive baseline.
//
// Two logit conventions (the manifest's `logit_shift`):
//  - unshifted: the logits at a block position predict that position's token;
//  - shifted (Dream, DiffuCoder, Fast-dLLM v2, our dcoder models): the state one position
//    earlier predicts it, so a block's first token comes from the last clean token's state
//    (fixed while the block is denoised: the "anchor" row) and position i from row i-1.
// In both, <eom> is committed only at the leftmost undecided position: it must never win by
// confidence alone, or the padding-like end token empties the middle.
import { EngineError, StopReason } from '../protocol';
import { bestToken, Candidate, chooseCommits, Policy } from './policy';

export interface BlockModel {
  readonly vocabSize: number;
  /** True when every step returns the row before the block (a runner that recomputes it each step), not only a block's first. */
  readonly anchorRowEveryStep: boolean;
  /**
   * One forward pass: `pending` clean tokens (appended to the context for good) followed by
   * `block` (the current block, masks included) starting at position `pos`. Returns logits
   * [rows, vocab] for the last `rows` input positions (rows <= pending.length + block.length,
   * or block.length + 1 when the model recomputes the context).
   */
  step(pending: number[], block: number[], pos: number, rows: number): Promise<Float32Array>;
}

export interface DecodeOptions {
  maskId: number;
  eomId: number;
  /** The state at i-1 predicts token i (see the header). */
  shift: boolean;
  maxTokens: number;
  blockSize: number;
  policy: Policy;
  singleLine: boolean;
  /** Highest position the model may use (exclusive). */
  maxPosition: number;
  /** Text of each token id (newline detection, streaming). */
  pieces: string[];
  /** Tokens the model may emit (1 = allowed); special tokens other than <eom> are left out. */
  allowed?: Uint8Array;
  /** Restricts the first middle token further (token healing); already within `allowed`. */
  firstAllowed?: Uint8Array;
  /** Characters of the first token that belong to the prefix (token healing): no line end there ends a single line. */
  healedChars?: number;
  signal?: { readonly aborted: boolean };
  onStep?: (e: DecodeStep) => void;
}

export interface DecodeStep {
  step: number;
  block: number;
  tokens: (number | null)[];
  committed: number[];
  confidences: number[];
  forwards: number;
}

export interface DecodeResult {
  tokens: number[];
  steps: number;
  forwards: number;
  stopReason: StopReason;
}

/** The first committed <eom> (or newline in single-line mode) ends the block's useful part. */
function blockEnd(block: number[], done: boolean[], o: DecodeOptions, first: boolean): { horizon: number; stop?: StopReason } {
  for (let i = 0; i < block.length; i++) {
    if (!done[i]) continue;
    if (block[i] === o.eomId) return { horizon: i + 1, stop: 'eom' };
    // the middle's first token carries the healed characters (a healed line break) before its own text
    const text = first && i === 0 ? o.pieces[block[i]]?.slice(o.healedChars ?? 0) : o.pieces[block[i]];
    if (o.singleLine && text?.includes('\n')) return { horizon: i + 1, stop: 'newline' };
  }
  return { horizon: block.length };
}

/**
 * Per block position, the logits row that predicts it: [B, vocab]. Shifted models read the row
 * one position earlier; the row before the block (the anchor) comes from this step when the
 * step ran it, else from the block's first step.
 */
function blockRows(logits: Float32Array, B: number, V: number, shift: boolean, anchor: Float32Array | undefined): { rows: Float32Array; anchor?: Float32Array } {
  if (!shift) return { rows: logits };
  if (logits.length === (B + 1) * V) return { rows: logits.subarray(0, B * V), anchor: logits.slice(0, V) };
  if (!anchor) throw new EngineError('internal', 'shifted decode without the row before the block');
  const rows = new Float32Array(B * V);
  rows.set(anchor, 0);
  rows.set(logits.subarray(0, (B - 1) * V), V);
  return { rows, anchor };
}

export async function denoise(model: BlockModel, pending: number[], pos: number, o: DecodeOptions): Promise<DecodeResult> {
  const out: number[] = [];
  let steps = 0;
  let forwards = 0;
  let blockNo = 0;
  const V = model.vocabSize;
  for (;;) {
    const remaining = o.maxTokens - out.length;
    const room = o.maxPosition - pos;
    if (remaining <= 0) return { tokens: out, steps, forwards, stopReason: 'maxTokens' };
    if (room <= 0) return { tokens: out, steps, forwards, stopReason: 'contextFull' };
    const B = Math.min(o.blockSize, remaining, room);
    const block: number[] = new Array(B).fill(o.maskId);
    const done: boolean[] = new Array(B).fill(false);
    let horizon = B;
    let stop: StopReason | undefined;
    let blockSteps = 0;
    let anchor: Float32Array | undefined;
    while (done.slice(0, horizon).some((d) => !d)) {
      if (o.signal?.aborted) throw new EngineError('cancelled', 'cancelled');
      const withAnchor = o.shift && (pending.length > 0 || model.anchorRowEveryStep);
      const logits = await model.step(pending, block, pos, withAnchor ? B + 1 : B);
      pending = [];
      forwards++;
      steps++;
      let rows: Float32Array;
      ({ rows, anchor } = blockRows(logits, B, V, o.shift, anchor));
      const cands: Candidate[] = [];
      const leftmost = done.indexOf(false);
      for (let i = 0; i < horizon; i++) {
        if (done[i]) continue;
        const allowed = out.length === 0 && i === 0 && o.firstAllowed ? o.firstAllowed : o.allowed;
        const b = bestToken(rows, i * V, V, allowed);
        // <eom> waits until everything before it is decided
        if (b.token === o.eomId && i !== leftmost) continue;
        cands.push({ index: i, token: b.token, prob: b.prob });
      }
      const picks = chooseCommits(cands, o.policy, blockSteps);
      blockSteps++;
      for (const c of picks) {
        block[c.index] = c.token;
        done[c.index] = true;
      }
      ({ horizon, stop } = blockEnd(block, done, o, out.length === 0));
      o.onStep?.({
        step: steps,
        block: blockNo,
        tokens: [...out, ...block.slice(0, horizon).map((t, i) => (done[i] ? t : null))],
        committed: picks.filter((c) => c.index < horizon).map((c) => out.length + c.index),
        confidences: picks.filter((c) => c.index < horizon).map((c) => c.prob),
        forwards,
      });
    }
    const finished = block.slice(0, horizon);
    if (stop === 'eom') return { tokens: [...out, ...finished.slice(0, -1)], steps, forwards, stopReason: 'eom' };
    out.push(...finished);
    if (stop === 'newline') return { tokens: out, steps, forwards, stopReason: 'newline' };
    pending = finished;
    pos += B;
    blockNo++;
  }
}
