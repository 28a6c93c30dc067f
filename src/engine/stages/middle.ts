// Stage "middle": where the middle sits and how long it may be.
//  - SPM layout (our models): the middle follows the context and ends where the model emits
//    <eom>; nothing to do.
//  - Natural layout (the open diffusion coders): the suffix comes after the middle, so its
//    positions depend on the middle's length, which must be set before decoding. The models
//    were trained to pad a middle that is too long with end-of-text, so the length is read
//    from the model: one pass over the longest allowed middle (all masks, suffix after it)
//    gives, per position, the probability that the middle has already ended there; the middle
//    is cut after the first position where that is at least END_SURE, rounded up to
//    LENGTH_ROUND tokens of slack. `fixed` skips the pass (the suffix after maxTokens masks).
//    The decode still stops at the first committed end token either way.
import { bestToken } from '../policy';
import { Context } from '../layout';
import { Manifest } from '../manifest';
import { ContextRunner } from '../runners';
import { CacheLookup } from './contextCache';
import { InfillPlan } from './resolve';

/** Where the decode starts and what bounds it. */
export interface MiddleSlot {
  /** Context tokens the runner still has to take in. */
  pending: number[];
  /** The middle's first position. */
  start: number;
  maxTokens: number;
  /** Positions the middle may not reach (exclusive). */
  maxPosition: number;
  /** The length pass ran (one forward more). */
  probed: boolean;
}

export interface MiddlePlacer {
  place(plan: InfillPlan, ctx: Context, cached: CacheLookup): Promise<MiddleSlot>;
}

/** Probability of "the middle has ended here" at which the natural middle is cut. */
const END_SURE = 0.5;
/** A cut middle keeps up to this many positions of slack past the first sure end. */
const LENGTH_ROUND = 8;

class OpenEndedMiddle implements MiddlePlacer {
  constructor(private readonly m: Manifest) {}

  async place(plan: InfillPlan, _ctx: Context, cached: CacheLookup): Promise<MiddleSlot> {
    return { pending: cached.pending, start: cached.end, maxTokens: plan.maxTokens, maxPosition: this.m.max_context, probed: false };
  }
}

class NaturalMiddle implements MiddlePlacer {
  private readonly ends: number[];

  constructor(private readonly m: Manifest, private readonly runner: ContextRunner) {
    this.ends = [...new Set([m.special_tokens.eom, ...(m.stop_tokens ?? [])])];
  }

  async place(plan: InfillPlan, ctx: Context, cached: CacheLookup): Promise<MiddleSlot> {
    const place = this.runner.placeTail?.bind(this.runner);
    if (!place) throw new Error('natural layout without a runner that places the suffix');
    const tail = ctx.tail ?? [];
    const start = cached.end;
    const longest = Math.min(plan.maxTokens, this.m.max_context - start - tail.length);
    const slot = { pending: cached.pending, start, maxTokens: longest, maxPosition: start + longest, probed: false };
    place(tail, start + longest);
    if (plan.exactTokens || plan.middleLength === 'fixed' || longest <= LENGTH_ROUND) return slot;
    const shift = this.m.logit_shift === true;
    const rows = longest + (shift ? 1 : 0);
    const logits = await this.runner.step(cached.pending, new Array<number>(longest).fill(this.m.special_tokens.mask), start, rows);
    const V = this.runner.vocabSize;
    let end = longest;
    for (let i = 0; i < longest; i++) {
      if (this.endProb(logits, i * V, V) >= END_SURE) {
        end = i;
        break;
      }
    }
    const length = Math.min(longest, Math.max(LENGTH_ROUND, Math.ceil((end + 1) / LENGTH_ROUND) * LENGTH_ROUND));
    place(tail, start + length);
    return { pending: [], start, maxTokens: length, maxPosition: start + length, probed: true };
  }

  /** Probability mass of the end tokens in one row of logits. */
  private endProb(logits: Float32Array, offset: number, V: number): number {
    const { prob: top, token } = bestToken(logits, offset, V);
    // softmax(x) = exp(x - max) * softmax(max), and bestToken returns softmax(max)
    const max = logits[offset + token];
    let p = 0;
    for (const id of this.ends) p += Math.exp(logits[offset + id] - max) * top;
    return p;
  }
}

/** The middle placement for the manifest's layout. */
export function middleFor(m: Manifest, runner: ContextRunner): MiddlePlacer {
  return m.layout === 'natural' ? new NaturalMiddle(m, runner) : new OpenEndedMiddle(m);
}
