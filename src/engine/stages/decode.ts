// Stage "decode": runs the denoiser (denoiser.ts), or verified drafts (verified.ts) where the
// plan asks for them, for a planned request on the model's runner,
// in the slot the middle stage set (pending tokens, start, length and position bounds), with
// the model's output masks: special tokens other than <eom> and ids the tokenizer lacks banned,
// <eom> too for exact-length output, the first token healed (and, for an alternative, not the
// first candidate's token there).
import { DecodeResult, DecodeStep, DecodeOptions, denoise } from '../denoiser';
import { Context, healMask, outputMask } from '../layout';
import { Manifest } from '../manifest';
import { ContextRunner } from '../runners';
import { CodeTokenizer } from '../tokenizer';
import { verifiedDecode } from '../verified';
import { without } from '../policy';
import { MiddleSlot } from './middle';
import { InfillPlan } from './resolve';

export interface DecodeHooks {
  signal?: { readonly aborted: boolean };
  onStep?: (s: DecodeStep) => void;
  /** A token the first position may not take (stages/alternatives.ts). */
  banFirst?: number;
}

export class Decoder {
  private readonly allowed: Uint8Array;
  /** `allowed` without <eom>: output of an exact length. */
  private readonly noEom: Uint8Array;

  constructor(
    private readonly m: Manifest,
    private readonly tok: CodeTokenizer,
    private readonly runner: ContextRunner,
  ) {
    this.allowed = outputMask(m);
    // ids past the tokenizer's vocabulary (padding rows of the output head) decode to nothing
    for (let i = 0; i < this.allowed.length; i++) if (!tok.known[i]) this.allowed[i] = 0;
    this.noEom = without(this.allowed, m.special_tokens.eom, this.allowed.length);
  }

  async run(plan: InfillPlan, ctx: Context, slot: MiddleSlot, hooks: DecodeHooks): Promise<DecodeResult> {
    const m = this.m;
    const options: DecodeOptions = {
      maskId: m.special_tokens.mask,
      eomId: m.special_tokens.eom,
      shift: m.logit_shift === true,
      maxTokens: slot.maxTokens,
      blockSize: plan.blockSize,
      policy: plan.policy,
      singleLine: plan.singleLine,
      maxPosition: slot.maxPosition,
      pieces: this.tok.pieces,
      allowed: plan.exactTokens ? this.noEom : this.allowed,
      firstAllowed: this.firstAllowed(ctx, hooks.banFirst),
      healedChars: ctx.healed.length,
      signal: hooks.signal,
      onStep: hooks.onStep,
    };
    const decode = plan.decode === 'verified' ? verifiedDecode : denoise;
    const decoded = await decode(this.runner, slot.pending, slot.start, options);
    // the middle stage's length pass is a forward pass of this request too
    return slot.probed ? { ...decoded, forwards: decoded.forwards + 1 } : decoded;
  }

  /** The healed first token's mask, less a banned token. */
  private firstAllowed(ctx: Context, ban: number | undefined): Uint8Array | undefined {
    const healed = healMask(this.tok, ctx.healed, this.allowed);
    return ban === undefined ? healed : without(healed ?? this.allowed, ban, this.allowed.length);
  }
}
