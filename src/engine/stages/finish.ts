// Stage "finish": the middle's text from its tokens, without the healed characters and cut at
// the first line end in single-line mode, and the InfillResult around it, with the confidence
// the completion pipeline gates on.
import { InfillResult } from '../../protocol';
import { DecodeResult } from '../denoiser';
import { CodeTokenizer } from '../tokenizer';
import { CacheLookup } from './contextCache';

export function finishText(tok: CodeTokenizer, tokens: number[], healed: string, singleLine: boolean): string {
  let text = tok.decode(tokens);
  if (healed && text.startsWith(healed)) text = text.slice(healed.length);
  if (singleLine) {
    const nl = text.indexOf('\n');
    if (nl >= 0) text = text.slice(0, nl);
  }
  return text;
}

/** The lowest commit probability of the middle's tokens (1 when there are none), to three decimals. */
export function confidenceOf(probs: readonly number[]): number {
  return Math.floor(Math.min(1, ...probs) * 1000) / 1000;
}

export function resultOf(text: string, decoded: DecodeResult, cached: CacheLookup, t0: number): InfillResult {
  return {
    text,
    tokens: decoded.tokens.length,
    steps: decoded.steps,
    forwards: decoded.forwards,
    ms: Math.round((performance.now() - t0) * 10) / 10,
    stopReason: decoded.stopReason,
    cacheHit: cached.hit,
    prefillTokens: cached.pending.length,
    confidence: confidenceOf(decoded.probs),
    ...(decoded.verifyPasses !== undefined && { verifyPasses: decoded.verifyPasses }),
  };
}
