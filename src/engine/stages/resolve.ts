// Stage "resolve the request": checks an infill request and settles the decode it asks for
// (line mode, token cap, unmasking policy, block size) against the model's limits and DECODE.
import { DECODE } from '../../defaults';
import { DECODE_MODES, DecodeMode, EngineError, InfillParams, MiddleLength } from '../../protocol';
import { requestIsSingleLine } from '../../completion/mode';
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
  /** `verified` only where the model can verify (verifiable); otherwise as asked. */
  decode: DecodeMode;
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
  const singleLine = requestIsSingleLine(p.mode, p.prefix, p.suffix) && !exactTokens;
  const asked = p.decode ?? DECODE.mode;
  if (!DECODE_MODES.includes(asked)) throw new EngineError('badRequest', `decode must be one of ${DECODE_MODES.join(', ')}, got ${JSON.stringify(asked)}`);
  const decode = asked === 'verified' && !verifiable(m) ? 'threshold' : asked;
  const cap = singleLine ? Math.min(m.max_middle, DECODE.singleLineMaxTokens) : m.max_middle;
  return {
    prefix: p.prefix,
    suffix: p.suffix,
    singleLine,
    maxTokens: Math.max(1, Math.min(p.maxTokens ?? DECODE.maxTokens, cap)),
    policy: policyOf(p, decode),
    decode,
    blockSize: decode === 'ar' ? 1 : decode === 'verified' ? Math.min(m.block_size, DECODE.draftBlock) : m.block_size,
    exactTokens,
    middleLength: p.middleLength === 'fixed' || p.middleLength === 'probe' ? p.middleLength : DECODE.middleLength,
    ...(alternativesWanted(p.alternatives) && { alternatives: alternativesWanted(p.alternatives) }),
  };
}

/** Verified drafts need the K/V cache of clean tokens (block-causal) and rows that predict the next token (shifted). */
export function verifiable(m: Manifest): boolean {
  return m.kind === 'block-causal' && m.logit_shift === true;
}

/**
 * The threshold policy unless fixed steps alone are asked for: a threshold wins when both are
 * given. Verified drafts take fixed steps (DECODE.draftSteps unless asked): the threshold
 * shapes what the diffusion decode shows, and a verified draft shows nothing of its own.
 */
function policyOf(p: InfillParams, decode: DecodeMode): Policy {
  if (decode === 'verified') return { kind: 'steps', steps: Math.max(1, Math.floor(p.steps ?? DECODE.draftSteps)) };
  if (p.threshold !== undefined || p.steps === undefined) {
    return { kind: 'threshold', threshold: p.threshold ?? DECODE.threshold, stepBudget: p.stepBudget ?? DECODE.stepBudget };
  }
  return { kind: 'steps', steps: Math.max(1, Math.floor(p.steps)) };
}
