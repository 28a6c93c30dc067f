// Verified drafts (self-speculative decoding): the diffusion head drafts a block, the same
// weights read causally check it, and only what greedy next-token decoding would have written
// is kept, so the output is exactly the `ar` decode's, token for token, in fewer passes.
//
// One forward pass runs [pending ; draft ; block of masks]: pending (clean tokens not yet held)
// and the draft go in as clean causal tokens and join the cache; the masks attend to them and
// to each other (the contract of docs/ARCHITECTURE.md). With shifted logits (required) the row
// of each clean token is the next-token distribution after it, so:
//  - the draft is verified left to right: draft[j] stays when it is the greedy choice of the row
//    before it; at the first disagreement the greedy choice replaces it, the rest of the draft
//    leaves the cache, and the masks' rows (which saw it) are thrown away;
//  - when the whole draft stands, the masks' rows are the next block's first denoising step;
//    the policy drafts the block, with further passes only when it asks for more steps, and
//    prompt lookup (lookupDraft.ts) replaces its later positions where the text so far repeats
//    an earlier n-gram. Drafts never hold <eom>: the verifier alone decides where the middle
//    ends (a drafted end would only cut the draft short where greedy decoding goes on).
// Step events show only what is verified, the drafted block as masks: a draft may still be
// thrown away, and a step's committed text only ever grows (serve streams it as deltas).
// Stops as the `ar` decode does: at <eom>, at a line end in single-line mode, at maxTokens or at
// the position limit.
import { EngineError, StopReason } from '../protocol';
import { allowedAt, BlockModel, blockRows, commitStep, DecodeOptions, DecodeResult, lineEnds, newBlock, unsettled } from './denoiser';
import { LOOKUP_MAX, withLookup } from './lookupDraft';
import { bestToken, without } from './policy';

/** A runner that holds clean tokens in a cache and can drop the newest of them. */
export interface CausalModel extends BlockModel {
  readonly cachedIds: readonly number[];
  truncate(n: number): void;
}

export async function verifiedDecode(model: CausalModel, pending: number[], pos: number, o: DecodeOptions): Promise<DecodeResult> {
  if (!o.shift || model.anchorRowEveryStep) throw new EngineError('internal', 'verified drafts need a cached model with shifted logits');
  const V = model.vocabSize;
  const out: number[] = [];
  const probs: number[] = [];
  let stop: StopReason | undefined;
  let steps = 0;
  let forwards = 0;
  let verifyPasses = 0;
  let draft: number[] = [];
  /** The context's tokens (held and pending), for prompt lookup. */
  const context = [...model.cachedIds, ...pending];
  const draftOpts: DecodeOptions = { ...o, allowed: without(o.allowed, o.eomId, V), firstAllowed: o.firstAllowed && without(o.firstAllowed, o.eomId, V) };
  /** The row that predicts position `pos` when no pending token gives it. */
  let anchor: Float32Array | undefined;

  /** Keeps one token that greedy decoding chose; true when it ends the middle. */
  const accept = (token: number, prob: number): boolean => {
    if (token === o.eomId) stop = 'eom';
    else {
      out.push(token);
      probs.push(prob);
      if (o.singleLine && lineEnds(o, token, out.length === 1)) stop = 'newline';
      else if (out.length >= o.maxTokens) stop = 'maxTokens';
    }
    return stop !== undefined;
  };
  const pass = async (clean: number[], block: number[], at: number, rows: number): Promise<Float32Array> => {
    if (o.signal?.aborted) throw new EngineError('cancelled', 'cancelled');
    forwards++;
    steps++;
    return model.step(clean, block, at, rows);
  };
  /** One event per pass: the verified tokens (those of this pass committed), then `masked` masks. */
  let reported = 0;
  const emit = (blockNo: number, masked: number): void => {
    const committed = Array.from({ length: out.length - reported }, (_, i) => reported + i);
    o.onStep?.({ step: steps, block: blockNo, tokens: [...out, ...new Array<null>(masked).fill(null)], committed, confidences: probs.slice(reported), forwards });
    reported = out.length;
  };
  let blockNo = 0;
  const done = (reason: StopReason): DecodeResult => {
    if (out.length > reported) emit(blockNo, 0); // the last pass's verified tokens
    return { tokens: out, probs, steps, forwards, stopReason: stop ?? reason, verifyPasses };
  };

  // `pos` is the position of the token after `out`; `pending` (clean, not held) ends right before it
  for (; ; blockNo++) {
    const at = pos + draft.length;
    const B = Math.max(0, Math.min(o.blockSize, o.maxTokens - out.length - draft.length, o.maxPosition - at));
    if (draft.length === 0 && B === 0) return done(o.maxPosition <= at ? 'contextFull' : 'maxTokens');
    const held = model.cachedIds.length + pending.length;
    const block = new Array<number>(B).fill(o.maskId);
    // rows[r] is the state at pos - 1 + r: r = 0 predicts draft[0], r = d + i predicts block[i]
    const logits = await pass([...pending, ...draft], block, at, (pending.length > 0 ? 1 : 0) + draft.length + B);
    const rows = pending.length > 0 ? logits : concat(anchor, logits, V);
    if (draft.length > 0) verifyPasses++;
    let k = 0;
    for (; k < draft.length; k++) {
      const b = bestToken(rows, k * V, V, allowedAt(o, out.length));
      if (b.token !== draft[k]) {
        model.truncate(held + k);
        if (accept(b.token, b.prob)) return done('maxTokens');
        pos += k + 1;
        pending = [b.token];
        break;
      }
      if (accept(b.token, b.prob)) return done('maxTokens');
    }
    if (k < draft.length) {
      draft = [];
      emit(blockNo, 0);
      continue;
    }
    pos += draft.length;
    pending = [];
    if (B === 0) return done('contextFull');
    // the whole draft stands: the block's rows are its first denoising step
    const st = newBlock(B, o.maskId);
    let blockRowsNow = rows.subarray(draft.length * V, (draft.length + B) * V);
    anchor = rows.slice(draft.length * V, (draft.length + 1) * V);
    for (let s = 0; ; s++) {
      commitStep(blockRowsNow, st, draftOpts, out.length, s);
      emit(blockNo, st.horizon);
      if (!unsettled(st)) break;
      blockRowsNow = blockRows(await pass([], st.block, pos, B), B, V, true, anchor).rows;
    }
    draft = withLookup(st.block.slice(0, st.horizon), [...context, ...out], draftOpts.allowed, Math.min(LOOKUP_MAX, o.maxTokens - out.length, o.maxPosition - pos));
  }
}

/** [row ; rows]: the carried row before the pass's own. */
function concat(row: Float32Array | undefined, rows: Float32Array, V: number): Float32Array {
  if (!row) throw new EngineError('internal', 'verified decode without the row before the draft');
  const all = new Float32Array(rows.length + V);
  all.set(row, 0);
  all.set(rows, V);
  return all;
}
