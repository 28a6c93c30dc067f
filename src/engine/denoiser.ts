// The decode loop: block after block of <mask> tokens, each denoised in parallel steps by a
// policy, until the model emits end-of-middle, a line ends (single-line) or a limit is hit.
// Talks to the model through BlockModel, so it runs the same on a real ONNX session and on a
// scripted logits source in unit tests. Block size 1 is the autoregressive baseline.
import { EngineError, StopReason } from '../protocol';
import { bestToken, Candidate, chooseCommits, Policy } from './policy';

export interface BlockModel {
  readonly vocabSize: number;
  /**
   * One forward pass: `pending` clean tokens (appended to the context for good) followed by
   * `block` (the current block, masks included) starting at position `pos`. Returns logits
   * [block.length, vocab] for the block.
   */
  step(pending: number[], block: number[], pos: number): Promise<Float32Array>;
}

export interface DecodeOptions {
  maskId: number;
  eomId: number;
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
function blockEnd(block: number[], done: boolean[], o: DecodeOptions): { horizon: number; stop?: StopReason } {
  for (let i = 0; i < block.length; i++) {
    if (!done[i]) continue;
    if (block[i] === o.eomId) return { horizon: i + 1, stop: 'eom' };
    if (o.singleLine && o.pieces[block[i]]?.includes('\n')) return { horizon: i + 1, stop: 'newline' };
  }
  return { horizon: block.length };
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
    while (done.slice(0, horizon).some((d) => !d)) {
      if (o.signal?.aborted) throw new EngineError('cancelled', 'cancelled');
      const logits = await model.step(pending, block, pos);
      pending = [];
      forwards++;
      steps++;
      const cands: Candidate[] = [];
      for (let i = 0; i < horizon; i++) {
        if (done[i]) continue;
        const allowed = out.length === 0 && i === 0 && o.firstAllowed ? o.firstAllowed : o.allowed;
        const b = bestToken(logits, i * V, V, allowed);
        cands.push({ index: i, token: b.token, prob: b.prob });
      }
      const picks = chooseCommits(cands, o.policy, blockSteps);
      blockSteps++;
      for (const c of picks) {
        block[c.index] = c.token;
        done[c.index] = true;
      }
      ({ horizon, stop } = blockEnd(block, done, o));
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
