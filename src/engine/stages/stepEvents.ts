// Stage "steps to events": a denoising step as the protocol's StepEvent, for the panel and the
// CLI: token texts without the healed characters (the user typed them already), confidences
// rounded to three decimals, milliseconds since the request began.
import { StepEvent } from '../../protocol';
import { DecodeStep } from '../denoiser';

export function stepEvents(pieces: readonly string[], healed: string, t0: number, onStep: (e: StepEvent) => void): (s: DecodeStep) => void {
  return (s) =>
    onStep({
      step: s.step,
      block: s.block,
      tokens: s.tokens.map((t, i) => (t === null ? null : i === 0 && healed ? pieces[t].slice(healed.length) : pieces[t])),
      committed: s.committed,
      confidences: s.confidences.map((c) => Math.round(c * 1000) / 1000),
      forwards: s.forwards,
      ms: Math.round(performance.now() - t0),
    });
}
