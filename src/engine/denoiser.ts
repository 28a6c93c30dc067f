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
  /** Per token, the probability it was committed with (greedy's for `ar` and verified drafts). */
  probs: number[];
  steps: number;
  forwards: number;
  stopReason: StopReason;
  /** Verified drafts (verified.ts): the passes that checked a draft. */
  verifyPasses?: number;
}

/** The tokens output position `n` may take: token healing restricts the middle's first. */
export function allowedAt(o: DecodeOptions, n: number): Uint8Array | undefined {
  return n === 0 && o.firstAllowed ? o.firstAllowed : o.allowed;
}

/** Whether `token`, the middle's first when `first`, ends a single line (healed characters of a line break excluded). */
export function lineEnds(o: DecodeOptions, token: number, first: boolean): boolean {
  // the middle's first token carries the healed characters (a healed line break) before its own text
  const text = first ? o.pieces[token]?.slice(o.healedChars ?? 0) : o.pieces[token];
  return !!text?.includes('\n');
}

/** The first committed <eom> (or newline in single-line mode) ends the block's useful part. */
export function blockEnd(block: number[], done: boolean[], o: DecodeOptions, first: boolean): { horizon: number; stop?: StopReason } {
  for (let i = 0; i < block.length; i++) {
    if (!done[i]) continue;
    if (block[i] === o.eomId) return { horizon: i + 1, stop: 'eom' };
    if (o.singleLine && lineEnds(o, block[i], first && i === 0)) return { horizon: i + 1, stop: 'newline' };
  }
  return { horizon: block.length };
}

/**
 * One denoising step on a block: from its rows (one per position, shifted already), the best
 * allowed token of each undecided position before `horizon` (<eom> only at the leftmost), and
 * the policy's picks committed into `block`, `done` and `probs`. `outLen` tokens precede the block.
 */
export function commitStep(rows: Float32Array, st: BlockState, o: DecodeOptions, outLen: number, blockSteps: number): Candidate[] {
  const V = rows.length / st.block.length;
  const cands: Candidate[] = [];
  const leftmost = st.done.indexOf(false);
  for (let i = 0; i < st.horizon; i++) {
    if (st.done[i]) continue;
    const b = bestToken(rows, i * V, V, allowedAt(o, outLen + i));
    // <eom> waits until everything before it is decided
    if (b.token === o.eomId && i !== leftmost) continue;
    cands.push({ index: i, token: b.token, prob: b.prob });
  }
  const picks = chooseCommits(cands, o.policy, blockSteps);
  for (const c of picks) {
    st.block[c.index] = c.token;
    st.done[c.index] = true;
    st.probs[c.index] = c.prob;
  }
  ({ horizon: st.horizon, stop: st.stop } = blockEnd(st.block, st.done, o, outLen === 0));
  return picks;
}

/** A block being denoised: its tokens (masks where undecided), what is decided, and where it ends. */
export interface BlockState {
  block: number[];
  done: boolean[];
  probs: number[];
  horizon: number;
  stop?: StopReason;
}

export function newBlock(B: number, maskId: number): BlockState {
  return { block: new Array(B).fill(maskId), done: new Array(B).fill(false), probs: new Array(B).fill(0), horizon: B };
}

/** True while a position before the horizon is undecided. */
export function unsettled(st: BlockState): boolean {
  return st.done.slice(0, st.horizon).some((d) => !d);
}

/**
 * Per block position, the logits row that predicts it: [B, vocab]. Shifted models read the row
 * one position earlier; the row before the block (the anchor) comes from this step when the
 * step ran it, else from the block's first step.
 */
export function blockRows(logits: Float32Array, B: number, V: number, shift: boolean, anchor: Float32Array | undefined): { rows: Float32Array; anchor?: Float32Array } {
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
  const probs: number[] = [];
  let steps = 0;
  let forwards = 0;
  let blockNo = 0;
  const V = model.vocabSize;
  const result = (stopReason: StopReason): DecodeResult => ({ tokens: out, probs, steps, forwards, stopReason });
  for (;;) {
    const remaining = o.maxTokens - out.length;
    const room = o.maxPosition - pos;
    if (remaining <= 0) return result('maxTokens');
    if (room <= 0) return result('contextFull');
    const B = Math.min(o.blockSize, remaining, room);
    const st = newBlock(B, o.maskId);
    let blockSteps = 0;
    let anchor: Float32Array | undefined;
    while (unsettled(st)) {
      if (o.signal?.aborted) throw new EngineError('cancelled', 'cancelled');
      const withAnchor = o.shift && (pending.length > 0 || model.anchorRowEveryStep);
      const logits = await model.step(pending, st.block, pos, withAnchor ? B + 1 : B);
      pending = [];
      forwards++;
      steps++;
      let rows: Float32Array;
      ({ rows, anchor } = blockRows(logits, B, V, o.shift, anchor));
      const picks = commitStep(rows, st, o, out.length, blockSteps++).filter((c) => c.index < st.horizon);
      o.onStep?.({
        step: steps,
        block: blockNo,
        tokens: [...out, ...st.block.slice(0, st.horizon).map((t, i) => (st.done[i] ? t : null))],
        committed: picks.map((c) => out.length + c.index),
        confidences: picks.map((c) => c.prob),
        forwards,
      });
    }
    const h = st.horizon;
    if (st.stop === 'eom') {
      out.push(...st.block.slice(0, h - 1));
      probs.push(...st.probs.slice(0, h - 1));
      return result('eom');
    }
    out.push(...st.block.slice(0, h));
    probs.push(...st.probs.slice(0, h));
    if (st.stop === 'newline') return result('newline');
    pending = st.block.slice(0, h);
    pos += B;
    blockNo++;
  }
}
