// Stage "resolve the request": checks an infill request and settles the decode it asks for
// (line mode, token cap, unmasking policy, block size) against the model's limits and DECODE.
import { DECODE } from '../../defaults';
import { EngineError, InfillParams, MiddleLength } from '../../protocol';
import { Manifest } from '../manifest';
import { Policy } from '../policy';
import { alternativesWanted } from './alternatives';

export interface InfillPlan {
  prefix: string;
  suffix: string;
  /** Stop at the first line end and cut the text there. */
  singleLine: boolean;
  maxTokens: number;
  policy: Policy;
  /** 1 for the autoregressive baseline. */
  blockSize: number;
  /** <eom> and the line-end stop are off: exactly maxTokens tokens. */
  exactTokens: boolean;
  /** Natural layout: how the middle's length is set (stages/middle.ts). */
  middleLength: MiddleLength;
  /** Alternatives to decode after the first candidate (stages/alternatives.ts); none when absent. */
  alternatives?: number;
}

export function resolveRequest(p: InfillParams, m: Manifest): InfillPlan {
  if (typeof p.prefix !== 'string' || typeof p.suffix !== 'string') throw new EngineError('badRequest', 'prefix and suffix must be strings');
  const exactTokens = !!p.exactTokens;
  const singleLine = p.mode === 'single' && !exactTokens;
  const cap = singleLine ? Math.min(m.max_middle, DECODE.singleLineMaxTokens) : m.max_middle;
  return {
    prefix: p.prefix,
    suffix: p.suffix,
    singleLine,
    maxTokens: Math.max(1, Math.min(p.maxTokens ?? DECODE.maxTokens, cap)),
    policy: policyOf(p),
    blockSize: p.ar ? 1 : m.block_size,
    exactTokens,
    middleLength: p.middleLength === 'fixed' || p.middleLength === 'probe' ? p.middleLength : DECODE.middleLength,
    ...(alternativesWanted(p.alternatives) && { alternatives: alternativesWanted(p.alternatives) }),
  };
}

/** The threshold policy unless fixed steps alone are asked for: a threshold wins when both are given. */
function policyOf(p: InfillParams): Policy {
  if (p.threshold !== undefined || p.steps === undefined) {
    return { kind: 'threshold', threshold: p.threshold ?? DECODE.threshold, stepBudget: p.stepBudget ?? DECODE.stepBudget };
  }
  return { kind: 'steps', steps: Math.max(1, Math.floor(p.steps)) };
}
